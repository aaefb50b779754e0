-- Writes one alert into one group if the slot still holds what the write was computed from.
-- KEYS: 1 group meta hash, 2 group alerts hash, 3 group notify log hash, 4 shard due zset,
--       5 shard id index, 6 shard counts hash
-- ARGV: 1 group id, 2 fingerprint, 3 encoded alert,
--       4 expected alert updatedAt ('' = absent), 5 expected group createdAt ('' = absent),
--       6 wake at ('' = none), 7 grace ms, 8 most alerts the group may hold to add one ('' = any),
--       9 '1' to count the alert added in the shard's counts now ('' = at the group's next commit),
--       10..15 the group to create if absent: key, route id, receiver, labels JSON, createdAt, origin
-- Returns 1 when written, 0 when an expectation failed (then nothing changed).
local meta, alerts, log, due, ids, counts = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local id, fingerprint = ARGV[1], ARGV[2]

local created_at = redis.call('HGET', meta, 'createdAt') or ''
if created_at ~= ARGV[5] then return 0 end
-- An alert exists only inside its group: leftovers of an expired group do not count.
local stored = ''
if created_at ~= '' then
  local alert = redis.call('HGET', alerts, fingerprint)
  if alert then stored = updated_at(alert) end
end
if stored ~= ARGV[4] then return 0 end
-- Checked here, atomically, so that concurrent writers cannot fill a group beyond its limit.
local adds = stored == ''
if adds and created_at ~= '' and ARGV[8] ~= '' and redis.call('HLEN', alerts) >= tonumber(ARGV[8]) then return 0 end

if created_at == '' then
  redis.call('DEL', alerts, log)
  redis.call('HSET', meta, 'key', ARGV[10], 'routeId', ARGV[11], 'receiver', ARGV[12], 'labels', ARGV[13],
    'createdAt', ARGV[14], 'origin', ARGV[15], 'lastTick', '0')
  list_group(due, ids, id, ARGV[15])
end
redis.call('HSET', alerts, fingerprint, ARGV[3])
if ARGV[9] ~= '' then
  if created_at == '' then
    count_group(counts, id, ARGV[11], 1)
  elseif adds then
    -- The hot path: two increments. A group not counted yet gets its route at its next commit.
    redis.call('HINCRBY', counts, 'alerts', 1)
    redis.call('HINCRBY', counts, 'group-alerts:' .. id, 1)
  end
end

if ARGV[6] ~= '' then
  local wake = tonumber(ARGV[6])
  if redis.call('HEXISTS', meta, 'token') == 1 then
    -- Leased: the holder's commit sets the due time, and honours this.
    local pending = tonumber(redis.call('HGET', meta, 'pendingWake'))
    if not pending or wake < pending then redis.call('HSET', meta, 'pendingWake', ARGV[6]) end
  elseif wake < score_of(due, id) then
    redis.call('ZADD', due, ARGV[6], id)
  end
end

expire_group(score_of(due, id), ARGV[7], meta, alerts, log)
return 1
