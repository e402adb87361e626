-- brick-rate-limit fleet script, wire version 1.
-- KEYS: one Redis key per limit. ARGV[1]: now in microseconds, or '' for Redis's own clock;
-- ARGV[2]: units asked for; then four numbers per key: algorithm code and its three parameters
-- (all times in microseconds). Returns four integers per key: allowed (0/1), remaining,
-- reset_after and retry_after (microseconds). Every limit decides first, reading only; the
-- writes happen only if all of them allow, so the check is all-or-nothing.
--
-- An algorithm is a function (key, a, b, c, now, n) returning allowed, remaining, reset_after,
-- retry_after and, when allowed, the key's new state and its TTL in milliseconds.
--
-- Every state is one string value (GET, then SET with PX): a check is TIME, GET and, if
-- allowed, SET; each redis.call costs about as much as a whole INCR, so there are no more.
-- Lua 5.1 numbers are doubles, exact for integers below 2^53 (285 years in microseconds).
-- Redis prints a number passed to redis.call exactly, but Lua's own tostring and `..` keep
-- only 14 digits, so states of several numbers are built with string.format('%d').
-- Reading TIME before writing needs effects replication: the default since Redis 5.

-- A key's TTL in milliseconds: until its state is as good as fresh, at least 1 ms.
local function expire_ms(us) return math.max(1, math.ceil(us / 1000)) end

-- The key's state: nil when missing, else the numbers `pattern` captures. Anything else in
-- the key is not ours: an error rather than a silent reset of somebody's limit.
local function load(key, pattern)
  local v = redis.call('GET', key)
  if not v then return nil end
  local a, b, c = string.match(v, pattern)
  if not a then error('brick-rate-limit: ' .. key .. ' does not hold this limiter\'s state') end
  return tonumber(a), tonumber(b), tonumber(c)
end

local algorithms = {}
