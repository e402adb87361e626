-- Token bucket: the key holds "u at": tokens scaled by the period (so refills stay integers)
-- and the time of the last refill. capacity tokens at most, refill tokens per period.
algorithms[2] = function(key, capacity, refill, period, now, n)
  local full = capacity * period
  local units, at = load(key, '^(%d+) (%d+)$')
  if not units then units, at = full, now end
  if now > at then
    units = math.min(units + (now - at) * refill, full)
    at = now
  end
  local cost = n * period
  local allowed, retry = 1, 0
  if units >= cost then
    units = units - cost
  else
    allowed, retry = 0, math.ceil((cost - units) / refill)
  end
  local reset = math.ceil((full - units) / refill)
  local remaining = math.floor(units / period)
  if allowed == 0 then return 0, remaining, reset, retry end
  return 1, remaining, reset, 0, string.format('%d %d', units, at), expire_ms(reset)
end
