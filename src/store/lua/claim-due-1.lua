-- Leases due groups, earliest first, up to a given number in each given shard: each gets a
-- fresh fencing token and is due again when the lease ends, so that a crashed holder's group is
-- taken over. Each claimed group comes back with it, so that the claimer need not load it. A due
-- entry whose group has expired is dropped, with its id index entry and its counts. On one Redis
-- a call covers every shard; on a Cluster, one shard.
-- KEYS: 1 a key of the first shard's, which routes the call on a Cluster (not read)
-- ARGV: 1 the key prefix up to the shard's hash tag (`<prefix>:{`), 2 now, 3 lease end,
--       4 grace ms, then pairs: shard, most groups to claim in it
-- Returns a flat array of four elements per claimed group: its id, its token, 1 if the claim
-- takes over an uncommitted lease that ran out (else 0), and its hashes (group_hashes) as read
-- before the claim, which changed none of what decodeGroup reads. Its due time is the lease end.
local tag_prefix, now, lease_end, grace = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local claims, now_ms = {}, redis_now()
for i = 5, #ARGV, 2 do
  local shard = ARGV[i]
  local due, tokens = shard_key(tag_prefix, shard, 'due'), shard_key(tag_prefix, shard, 'token')
  local ids = redis.call('ZRANGEBYSCORE', due, '-inf', now, 'LIMIT', 0, ARGV[i + 1])
  -- One increment hands out the tokens of all: a token an expired group leaves unused is lost.
  local first_token = #ids > 0 and redis.call('INCRBY', tokens, #ids) - #ids
  for k, id in ipairs(ids) do
    local meta = shard_key(tag_prefix, shard, 'g:' .. id)
    local meta_fields = redis.call('HGETALL', meta)
    if #meta_fields > 0 then
      local alerts, log = shard_key(tag_prefix, shard, 'a:' .. id), shard_key(tag_prefix, shard, 'n:' .. id)
      -- The hash as it was: a token left in it is an uncommitted lease that ran out, and a wake
      -- that came during that lease is served by this claim's flush. Their stale values in the
      -- reply are not read (decodeGroup).
      local taken_over, pending_wake = 0, false
      for f = 1, #meta_fields, 2 do
        local field = meta_fields[f]
        if field == 'token' then taken_over = 1 elseif field == 'pendingWake' then pending_wake = true end
      end
      local token = first_token + k
      redis.call('HSET', meta, 'token', token)
      if pending_wake then redis.call('HDEL', meta, 'pendingWake') end
      redis.call('ZADD', due, lease_end, id)
      expire_group(lease_end, grace, now_ms, meta, alerts, log)
      claims[#claims + 1] = id
      claims[#claims + 1] = token
      claims[#claims + 1] = taken_over
      claims[#claims + 1] = group_hashes(meta_fields, alerts, log)
    else
      unlist_group(due, shard_key(tag_prefix, shard, 'ids'), id)
      count_group(shard_key(tag_prefix, shard, 'counts'), id, nil, 0)
    end
  end
end
return claims
