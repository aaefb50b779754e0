-- Leases up to `limit` groups of one shard whose due time has come, earliest first: each gets a
-- fresh fencing token and is due again when the lease ends, so a crashed holder's group is
-- taken over. A due entry whose group has expired is dropped, with its id index entry and its
-- counts.
-- KEYS: 1 shard due zset, 2 shard token counter, 3 shard id index, 4 shard counts hash
-- ARGV: 1 now, 2 lease end, 3 limit, 4 meta key prefix, 5 alerts key prefix, 6 log key prefix,
--       7 grace ms
-- Returns a flat array of triples: group id, token, 1 if the claim takes over an uncommitted lease
-- that ran out (else 0), ...
local due, tokens, ids, counts = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local claims = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', due, '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])) do
  local meta = ARGV[4] .. id
  if redis.call('EXISTS', meta) == 1 then
    local taken_over = redis.call('HEXISTS', meta, 'token')
    local token = redis.call('INCR', tokens)
    redis.call('HSET', meta, 'token', token)
    redis.call('HDEL', meta, 'pendingWake')
    redis.call('ZADD', due, ARGV[2], id)
    expire_group(ARGV[2], ARGV[7], meta, ARGV[5] .. id, ARGV[6] .. id)
    claims[#claims + 1] = id
    claims[#claims + 1] = token
    claims[#claims + 1] = taken_over
  else
    unlist_group(due, ids, id)
    count_group(counts, id, nil, 0)
  end
end
return claims
