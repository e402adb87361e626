-- Sliding window counter: the key holds "k p c": the current window's index, the previous
-- window's count and the current one's. The previous count is weighted by how much of it
-- the sliding window still covers: p * (w - elapsed) / w + c <= limit, compared times w so it
-- stays in integers.
algorithms[4] = function(key, limit, w, _, now, n)
  local k = math.floor(now / w)
  local sk, p, c = load(key, '^(%d+) (%d+) (%d+)$')
  if not sk then
    sk, p, c = k, 0, 0
  elseif k == sk + 1 then
    sk, p, c = k, c, 0
  elseif k > sk then
    sk, p, c = k, 0, 0
  end
  local start = sk * w
  local elapsed = math.min(math.max(now - start, 0), w - 1)
  local function load(prev, curr, extra) return prev * (w - elapsed) + (curr + extra) * w end
  -- How far into a window the weight of a previous count `prev` has fallen to leave `room`.
  local function earliest(prev, room)
    if prev == 0 then return 0 end
    return w - math.min(math.floor(room * w / prev), w)
  end
  local allowed, retry = 1, 0
  if load(p, c, n) <= limit * w then
    c = c + n
  elseif c + n <= limit then
    allowed, retry = 0, math.max(start + earliest(p, limit - c - n) - now, 0)
  else
    allowed, retry = 0, math.max(start + w + earliest(c, limit - n) - now, 0)
  end
  local used = math.ceil(load(p, c, 0) / w)
  local remaining = math.max(limit - used, 0)
  local reset = 0
  if c > 0 then
    reset = math.max(start + 2 * w - now, 0)
  elseif p > 0 then
    reset = math.max(start + w - now, 0)
  end
  if allowed == 0 then return 0, remaining, reset, retry end
  return 1, remaining, reset, 0, string.format('%d %d %d', sk, p, c), expire_ms(reset)
end
