-- Records a flush if the claim still holds the group's lease, and ends the lease.
-- KEYS: 1 group meta hash, 2 group alerts hash, 3 group notify log hash, 4 shard due zset,
--       5 shard id index, 6 shard counts hash
-- ARGV: 1 group id, 2 token, 3 tick, 4 next due, 5 grace ms, 6 n = number of log entries,
--       then n pairs (integration key, encoded log entry),
--       then pairs (fingerprint, updatedAt) of sent resolved alerts to delete if unchanged
-- Returns 1 when committed, 0 when the token is stale (then nothing changed).
local meta, alerts, log, due, ids, counts = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local id = ARGV[1]
if redis.call('HGET', meta, 'token') ~= ARGV[2] then return 0 end

local removals = 7 + 2 * tonumber(ARGV[6])
-- A commit replayed after an outage (failover-store.ts) may come after a merge that brought a
-- later entry: the later tick wins, as in the merge.
for i = 7, removals - 1, 2 do
  local stored = redis.call('HGET', log, ARGV[i])
  if not stored or tick_of(stored) <= tick_of(ARGV[i + 1]) then redis.call('HSET', log, ARGV[i], ARGV[i + 1]) end
end
for i = removals, #ARGV, 2 do
  local alert = redis.call('HGET', alerts, ARGV[i])
  if alert and updated_at(alert) == ARGV[i + 1] then redis.call('HDEL', alerts, ARGV[i]) end
end

local size = redis.call('HLEN', alerts)
if size == 0 then
  count_group(counts, id, nil, 0)
  redis.call('DEL', meta, alerts, log)
  unlist_group(due, ids, id)
  return 1
end
count_group(counts, id, redis.call('HGET', meta, 'routeId'), size)

local due_at = ARGV[4]
local pending = redis.call('HGET', meta, 'pendingWake')
if pending and tonumber(pending) < tonumber(due_at) then due_at = pending end
if tonumber(ARGV[3]) > tonumber(redis.call('HGET', meta, 'lastTick') or 0) then redis.call('HSET', meta, 'lastTick', ARGV[3]) end
redis.call('HDEL', meta, 'token', 'pendingWake')
redis.call('ZADD', due, due_at, id)
expire_group(due_at, ARGV[5], meta, alerts, log)
return 1
