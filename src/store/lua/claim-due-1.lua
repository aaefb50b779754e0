-- Leases due groups, earliest first, up to a given number in each given shard: each gets a
-- fresh fencing token and is due again when the lease ends, so that a crashed holder's group is
-- taken over. Each claimed group comes back as it stands once claimed, so that the claimer need
-- not load it. A due entry whose group has expired is dropped, with its id index entry and its
-- counts. On one Redis a call covers every shard; on a Cluster, one shard.
-- KEYS: 1 a key of the first shard's, which routes the call on a Cluster (not read)
-- ARGV: 1 the key prefix up to the shard's hash tag (`<prefix>:{`), 2 now, 3 lease end,
--       4 grace ms, then pairs: shard, most groups to claim in it
-- Returns a flat array of four elements per claimed group: its id, its token, 1 if the claim
-- takes over an uncommitted lease that ran out (else 0), and its hashes (group_hashes). Its due
-- time is the lease end.
local tag_prefix, now, lease_end, grace = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local claims = {}
for i = 5, #ARGV, 2 do
  local shard = ARGV[i]
  local due, tokens = shard_key(tag_prefix, shard, 'due'), shard_key(tag_prefix, shard, 'token')
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', due, '-inf', now, 'LIMIT', 0, ARGV[i + 1])) do
    local meta = shard_key(tag_prefix, shard, 'g:' .. id)
    if redis.call('EXISTS', meta) == 1 then
      local alerts, log = shard_key(tag_prefix, shard, 'a:' .. id), shard_key(tag_prefix, shard, 'n:' .. id)
      local taken_over = redis.call('HEXISTS', meta, 'token')
      local token = redis.call('INCR', tokens)
      redis.call('HSET', meta, 'token', token)
      redis.call('HDEL', meta, 'pendingWake')
      redis.call('ZADD', due, lease_end, id)
      expire_group(lease_end, grace, meta, alerts, log)
      claims[#claims + 1] = id
      claims[#claims + 1] = token
      claims[#claims + 1] = taken_over
      claims[#claims + 1] = group_hashes(meta, alerts, log)
    else
      unlist_group(due, shard_key(tag_prefix, shard, 'ids'), id)
      count_group(shard_key(tag_prefix, shard, 'counts'), id, nil, 0)
    end
  end
end
return claims
