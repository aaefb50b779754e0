-- Reads alert slots of one shard: each slot's group incarnation and stored alert.
-- KEYS: 1 shard due zset (names the shard; not read)
-- ARGV: 1 meta key prefix, 2 alerts key prefix, 3 '1' to read group sizes too,
--       then pairs (group id, fingerprint)
-- Returns 4 values per slot: group createdAt, group origin, encoded alert, group size; each nil
-- when the group is absent (the alert also when the group lacks it, the size when not asked).
local sizes = ARGV[3] ~= ''
local replies = {}
for i = 4, #ARGV, 2 do
  local meta, alerts = ARGV[1] .. ARGV[i], ARGV[2] .. ARGV[i]
  local group = redis.call('HMGET', meta, 'createdAt', 'origin')
  local n = #replies
  if group[1] then
    replies[n + 1] = group[1]
    replies[n + 2] = group[2]
    replies[n + 3] = redis.call('HGET', alerts, ARGV[i + 1])
    replies[n + 4] = sizes and redis.call('HLEN', alerts)
  else
    replies[n + 1], replies[n + 2], replies[n + 3], replies[n + 4] = false, false, false, false
  end
end
return replies
