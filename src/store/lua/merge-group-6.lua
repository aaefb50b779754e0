-- Merges what a replica's memory store knows of one group, changed while Redis was unavailable,
-- into Redis (rules in redis-merge.ts): alerts by latest updatedAt, notify log entries by later
-- tick, lastTick by max, due time by earliest; a group Redis lacks is created as memory holds
-- it; an alert memory retired replaces an older copy in the group, or else is kept as retired
-- unless Redis keeps a version as new. Nothing is deleted.
-- KEYS: 1 group meta hash, 2 group alerts hash, 3 group notify log hash, 4 shard due zset,
--       5 shard id index, 6 until when the group's earlier incarnation's retired alerts may be read
--       (shared.lua, retired_until_key)
-- ARGV: 1 group id, 2 grace ms, 3 wake at (memory's due time, or now when memory deleted the group),
--       4 end of a lease memory holds on the group, whose flush is still under way ('' = none),
--       5..11 the group as memory holds it, all '' when memory deleted it: key, route id,
--       receiver, labels JSON, createdAt, origin, lastTick,
--       12 ms to keep retired alerts, 13 the key of the group's retired alert less its
--       fingerprint (shared.lua, retired_key), 14 n = number of alerts memory holds,
--       15 m = number of its log entries, then n pairs (fingerprint, encoded alert), then m pairs
--       (integration key, encoded entry), then pairs (fingerprint, encoded alert) of alerts memory
--       retired
-- Returns 1 when Redis did not have the group and it was created, else 0.
local meta, alerts, log, due, ids = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local id = ARGV[1]

local function alert_version(encoded)
  return tonumber(updated_at(encoded))
end

-- Stores `value` unless the hash holds a version at least as new; `replace_only` leaves an
-- absent field absent.
local function keep_latest(hash, field, value, version_of, replace_only)
  local stored = redis.call('HGET', hash, field)
  if stored then
    if version_of(stored) >= version_of(value) then return end
  elseif replace_only then
    return
  end
  redis.call('HSET', hash, field, value)
end

local created, exists = 0, redis.call('EXISTS', meta) == 1
if not exists and ARGV[5] ~= '' then
  -- Leftovers of an expired group do not count.
  redis.call('DEL', alerts, log)
  local fields = { 'key', ARGV[5], 'routeId', ARGV[6], 'receiver', ARGV[7], 'labels', ARGV[8],
    'createdAt', ARGV[9], 'origin', ARGV[10], 'lastTick', ARGV[11] }
  create_group(meta, KEYS[6], fields, due, ids, id, ARGV[3])
  created, exists = 1, true
elseif exists then
  if ARGV[5] ~= '' and tonumber(ARGV[11]) > tonumber(redis.call('HGET', meta, 'lastTick')) then
    redis.call('HSET', meta, 'lastTick', ARGV[11])
  end
  local wake = tonumber(ARGV[3])
  if redis.call('HEXISTS', meta, 'token') == 1 then
    -- Leased: the holder's commit sets the due time, and honours this.
    local pending = tonumber(redis.call('HGET', meta, 'pendingWake'))
    if not pending or wake < pending then redis.call('HSET', meta, 'pendingWake', ARGV[3]) end
  elseif wake < score_of(due, id) then
    redis.call('ZADD', due, ARGV[3], id)
  end
end

-- A flush memory claimed is still sending: Redis must not flush the group before that lease
-- ends, or both would send; the flush's commit, merged when it lands, sets the due time.
if exists and ARGV[4] ~= '' and redis.call('HEXISTS', meta, 'token') == 0 and (score_of(due, id) or 0) < tonumber(ARGV[4]) then
  redis.call('ZADD', due, ARGV[4], id)
end

local logs = 16 + 2 * tonumber(ARGV[14])
local removed = logs + 2 * tonumber(ARGV[15])
for i = 16, logs - 1, 2 do keep_latest(alerts, ARGV[i], ARGV[i + 1], alert_version, false) end
for i = logs, removed - 1, 2 do keep_latest(log, ARGV[i], ARGV[i + 1], tick_of, false) end

local now, retired_ttl = redis_now(), tonumber(ARGV[12])
local retired = false
for i = removed, #ARGV, 2 do
  local fingerprint, alert = ARGV[i], ARGV[i + 1]
  if redis.call('HEXISTS', alerts, fingerprint) == 1 then
    keep_latest(alerts, fingerprint, alert, alert_version, true)
  else
    local key = ARGV[13] .. fingerprint
    local kept = redis.call('GET', key)
    if not kept or alert_version(kept) < alert_version(alert) then
      redis.call('SET', key, alert, 'PX', retired_ttl)
      retired = true
    end
  end
end
-- Adds to the group look for retired alerts until then (write-alerts-1.lua); a group Redis lacks
-- leaves the time for its next incarnation (create_group).
if retired then
  local retired_until = now + retired_ttl
  if exists then
    if retired_until > tonumber(redis.call('HGET', meta, 'retiredUntil') or 0) then redis.call('HSET', meta, 'retiredUntil', retired_until) end
  else
    redis.call('SET', KEYS[6], retired_until, 'PX', retired_ttl)
  end
end

if exists then expire_group(score_of(due, id), ARGV[2], now, meta, alerts, log) end
return created
