-- Writes one alert into one group if the slot still holds what the write was computed from.
-- KEYS: 1 group meta hash, 2 group alerts hash, 3 group notify log hash, 4 shard due zset,
--       5 shard id index
-- ARGV: 1 group id, 2 fingerprint, 3 encoded alert,
--       4 expected alert updatedAt ('' = absent), 5 expected group createdAt ('' = absent),
--       6 wake at ('' = none), 7 grace ms,
--       8..13 the group to create if absent: key, route id, receiver, labels JSON, createdAt, origin
-- Returns 1 when written, 0 when an expectation failed (then nothing changed).
local meta, alerts, log, due, ids = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
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

if created_at == '' then
  redis.call('DEL', alerts, log)
  redis.call('HSET', meta, 'key', ARGV[8], 'routeId', ARGV[9], 'receiver', ARGV[10], 'labels', ARGV[11],
    'createdAt', ARGV[12], 'origin', ARGV[13], 'lastTick', '0')
  list_group(due, ids, id, ARGV[13])
end
redis.call('HSET', alerts, fingerprint, ARGV[3])

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
