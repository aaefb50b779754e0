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
for i = 7, removals - 1, 2 do
  redis.call('HSET', log, ARGV[i], ARGV[i + 1])
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
redis.call('HSET', meta, 'lastTick', ARGV[3])
redis.call('HDEL', meta, 'token', 'pendingWake')
redis.call('ZADD', due, due_at, id)
expire_group(due_at, ARGV[5], meta, alerts, log)
return 1
