-- Reads alert slots: each slot's group incarnation and stored alert. On one Redis a call
-- carries a whole batch, of any shards; on a Cluster, the slots of one shard.
-- KEYS: 1 a key of the first slot's shard, which routes the call on a Cluster (not read)
-- ARGV: 1 the key prefix up to the shard's hash tag (`<prefix>:{`), 2 '1' to read group sizes
--       too, then one argument per slot: shard, NUL, group id, NUL, fingerprint
-- Returns 5 values per slot: group createdAt, group origin, encoded alert, group size, encoded
-- retired alert; each nil when the group is absent (the alert also when the group lacks it, the
-- size when not asked), the retired alert when the slot holds an alert or none was retired from it.
local tag_prefix, sizes = ARGV[1], ARGV[2] ~= ''
local replies = {}
for i = 3, #ARGV do
  local slot = packed_fields(ARGV[i])
  local shard, id = slot[1], slot[2]
  local meta, alerts = shard_key(tag_prefix, shard, 'g:' .. id), shard_key(tag_prefix, shard, 'a:' .. id)
  local group = redis.call('HMGET', meta, 'createdAt', 'origin')
  local n = #replies
  local alert = false
  if group[1] then
    alert = redis.call('HGET', alerts, slot[3])
    replies[n + 1] = group[1]
    replies[n + 2] = group[2]
    replies[n + 3] = alert
    replies[n + 4] = sizes and redis.call('HLEN', alerts)
  else
    replies[n + 1], replies[n + 2], replies[n + 3], replies[n + 4] = false, false, false, false
  end
  replies[n + 5] = not alert and redis.call('GET', retired_key(tag_prefix, shard, id, slot[3]))
end
return replies
