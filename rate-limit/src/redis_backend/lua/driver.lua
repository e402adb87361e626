local now = tonumber(ARGV[1])
-- Redis expires keys on its own clock. When the time comes from the client, keys live a
-- minute longer than their state needs: a state kept longer decides exactly as a missing one
-- (it is as good as fresh), but one dropped early would hand out a fresh quota.
local slack = 60000
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
  slack = 0
end
local n = tonumber(ARGV[2])
local out, states, ttls, all = {}, {}, {}, true
for i, key in ipairs(KEYS) do
  local j = 3 + (i - 1) * 4
  local decide = algorithms[tonumber(ARGV[j])]
  if not decide then return redis.error_reply('brick-rate-limit: unknown algorithm ' .. ARGV[j]) end
  local allowed, remaining, reset, retry, state, ttl =
    decide(key, tonumber(ARGV[j + 1]), tonumber(ARGV[j + 2]), tonumber(ARGV[j + 3]), now, n)
  if allowed == 0 then all = false end
  states[i], ttls[i] = state, ttl
  local o = (i - 1) * 4
  out[o + 1], out[o + 2], out[o + 3], out[o + 4] = allowed, remaining, reset, retry
end
if all then
  for i, key in ipairs(KEYS) do
    if type(states[i]) == 'function' then
      -- A state kept in another type (the sliding log's sorted set) writes itself.
      states[i](slack)
    else
      redis.call('SET', key, states[i], 'PX', ttls[i] + slack)
    end
  end
end
return out
