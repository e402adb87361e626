-- GCRA: the key holds the theoretical arrival time (TAT). t = emission interval,
-- horizon = burst * t. A request for n units passes if TAT' = max(TAT, now) + n*t stays within
-- now + horizon.
algorithms[1] = function(key, t, horizon, _, now, n)
  local tat = load(key, '^(%d+)$') or now
  local base = math.max(tat, now)
  local new = base + n * t
  local limit_at = now + horizon
  if new > limit_at then
    return 0, math.floor(math.max(limit_at - base, 0) / t), base - now, new - limit_at
  end
  return 1, math.floor((limit_at - new) / t), new - now, 0, new, expire_ms(new - now)
end
