-- Sliding log: the key is a sorted set with one member per admitted unit, scored by its time,
-- and one member "t" scored by the latest time the log has seen. A clock that went back is held
-- there (as the in-process log holds it), so units trimmed at a later time never counted for an
-- earlier one. Units at or before now - w are trimmed; a request for n units passes if the rest
-- plus n is at most the limit: exact for the half-open window (now - w, now]. Unit members are
-- "time.i", i counting the units at that time, so they are unique ("t" sorts after any digit, so
-- it stays last among equal scores).
algorithms[5] = function(key, limit, w, _, now, n)
  local seen = redis.call('ZSCORE', key, 't')
  if seen then now = math.max(now, tonumber(seen)) end
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - w)
  -- The latest time, kept even on a denial: the trim above was done at it.
  redis.call('ZADD', key, now, 't')
  local held = redis.call('ZCARD', key) - 1
  local newest = now
  if held > 0 then newest = tonumber(redis.call('ZRANGE', key, -2, -2, 'WITHSCORES')[2]) end
  if held + n > limit then
    -- The oldest units go first: after the (held + n - limit)-th leaves, n fit.
    local at = held + n - limit - 1
    local freeing = redis.call('ZRANGE', key, at, at, 'WITHSCORES')
    local retry = math.max(tonumber(freeing[2]) + w - now, 0)
    redis.call('PEXPIRE', key, expire_ms(math.max(newest + w - now, 1)))
    return 0, limit - held, math.max(newest + w - now, 0), retry
  end
  local commit = function(slack)
    -- ZADD in chunks: unpack has a stack limit of a few thousand values.
    local i = 1
    while i <= n do
      local args = {}
      local last_i = math.min(i + 999, n)
      for j = i, last_i do
        args[#args + 1] = now
        args[#args + 1] = string.format('%d.%d', now, held + j)
      end
      redis.call('ZADD', key, unpack(args))
      i = last_i + 1
    end
    local live = 0
    if n > 0 then live = w elseif held > 0 then live = newest + w - now end
    redis.call('PEXPIRE', key, expire_ms(math.max(live, 1)) + slack)
  end
  local reset = 0
  if n > 0 then
    reset = w
  elseif held > 0 then
    reset = math.max(newest + w - now, 0)
  end
  return 1, limit - held - n, reset, 0, commit, 0
end
