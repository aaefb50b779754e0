-- Reads alert slots of one shard: each slot's group incarnation and stored alert.
-- KEYS: 1 shard due zset (names the shard; not read)
-- ARGV: 1 meta key prefix, 2 alerts key prefix, 3 '1' to read group sizes too,
--       then one argument per slot: group id, NUL, fingerprint
-- Returns 4 values per slot: group createdAt, group origin, encoded alert, group size; each nil
-- when the group is absent (the alert also when the group lacks it, the size when not asked).
local sizes = ARGV[3] ~= ''
local replies = {}
for i = 4, #ARGV do
  local cut = string.find(ARGV[i], '\0', 1, true)
  local id = string.sub(ARGV[i], 1, cut - 1)
  local meta, alerts = ARGV[1] .. id, ARGV[2] .. id
  local group = redis.call('HMGET', meta, 'createdAt', 'origin')
  local n = #replies
  if group[1] then
    replies[n + 1] = group[1]
    replies[n + 2] = group[2]
    replies[n + 3] = redis.call('HGET', alerts, string.sub(ARGV[i], cut + 1))
    replies[n + 4] = sizes and redis.call('HLEN', alerts)
  else
    replies[n + 1], replies[n + 2], replies[n + 3], replies[n + 4] = false, false, false, false
  end
end
return replies
