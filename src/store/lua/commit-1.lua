-- Records flushes, each only if its claim still holds the group's lease, and ends the leases.
-- On one Redis a call carries the commits of any shards; on a Cluster, those of one shard.
-- KEYS: 1 a key of the first commit's shard, which routes the call on a Cluster (not read)
-- ARGV: 1 the key prefix up to the shard's hash tag (`<prefix>:{`), 2 grace ms, 3 ms to keep
--       retired alerts, then one argument per commit, its fields joined by NUL bytes: shard,
--       group id, token, tick, next due, n = number of log entries, then n pairs (integration
--       key, encoded log entry), then pairs (fingerprint, updatedAt) of sent resolved alerts to
--       delete if unchanged, each kept as its slot's retired alert (shared.lua, retired_key), and
--       the group's meta `retiredUntil` says until when one may be (write-alerts-1.lua), or, once
--       the commit deletes the group, a key of its own (create_group).
--       No field holds a NUL byte (redis-store.ts, packCommit).
-- Returns one integer per commit: 1 when committed, 0 when the token is stale (then that commit
-- changed nothing).
local tag_prefix, grace, retired_ttl, now = ARGV[1], ARGV[2], ARGV[3], redis_now()

local function commit(f)
  local shard, id = f[1], f[2]
  local meta = shard_key(tag_prefix, shard, 'g:' .. id)
  local held = redis.call('HMGET', meta, 'token', 'routeId', 'pendingWake', 'lastTick', 'retiredUntil')
  if held[1] ~= f[3] then return 0 end
  local alerts, log = shard_key(tag_prefix, shard, 'a:' .. id), shard_key(tag_prefix, shard, 'n:' .. id)

  local removals = 7 + 2 * tonumber(f[6])
  -- A commit replayed after an outage (failover-store.ts) may come after a merge that brought a
  -- later entry: the later tick wins, as in the merge.
  for i = 7, removals - 1, 2 do
    local stored = redis.call('HGET', log, f[i])
    if not stored or tick_of(stored) <= tick_of(f[i + 1]) then redis.call('HSET', log, f[i], f[i + 1]) end
  end
  local retired = false
  for i = removals, #f, 2 do
    local alert = redis.call('HGET', alerts, f[i])
    if alert and updated_at(alert) == f[i + 1] then
      redis.call('HDEL', alerts, f[i])
      redis.call('SET', retired_key(tag_prefix, shard, id, f[i]), alert, 'PX', retired_ttl)
      retired = true
    end
  end

  local counts, due = shard_key(tag_prefix, shard, 'counts'), shard_key(tag_prefix, shard, 'due')
  local size = redis.call('HLEN', alerts)
  local retired_until = retired and now + tonumber(retired_ttl) or tonumber(held[5] or 0)
  if size == 0 then
    count_group(counts, id, nil, 0)
    -- The group's next incarnation takes this up (create_group).
    if retired_until > now then
      redis.call('SET', retired_until_key(tag_prefix, shard, id), retired_until, 'PX', retired_until - now)
    end
    redis.call('DEL', meta, alerts, log)
    unlist_group(due, shard_key(tag_prefix, shard, 'ids'), id)
    return 1
  end
  count_group(counts, id, held[2], size)

  local due_at, pending = f[5], held[3]
  if pending and tonumber(pending) < tonumber(due_at) then due_at = pending end
  if tonumber(f[4]) > tonumber(held[4] or 0) then redis.call('HSET', meta, 'lastTick', f[4]) end
  if retired then redis.call('HSET', meta, 'retiredUntil', retired_until) end
  redis.call('HDEL', meta, 'token', 'pendingWake')
  redis.call('ZADD', due, due_at, id)
  expire_group(due_at, grace, now, meta, alerts, log)
  return 1
end

local results = {}
for i = 4, #ARGV do results[#results + 1] = commit(packed_fields(ARGV[i])) end
return results
