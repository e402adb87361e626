-- Fixed window: the key holds "k c": the window's index (now / w) and the units admitted in it.
algorithms[3] = function(key, limit, w, _, now, n)
  local k = math.floor(now / w)
  local sk, count = load(key, '^(%d+) (%d+)$')
  if not sk or k > sk then
    sk, count = k, 0
  end
  local until_end = math.max((sk + 1) * w - now, 0)
  if count + n > limit then
    return 0, limit - count, until_end, until_end
  end
  count = count + n
  return 1, limit - count, until_end, 0, string.format('%d %d', sk, count), expire_ms(until_end)
end
