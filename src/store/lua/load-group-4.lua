-- Reads one group at one instant.
-- KEYS: 1 group meta hash, 2 group alerts hash, 3 group notify log hash, 4 shard due zset
-- ARGV: 1 group id
-- Returns nil when the group is absent, else { meta, alerts, log } as HGETALL returns them,
-- then its due time (nil if it has none).
local meta, alerts, log, due = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
if redis.call('EXISTS', meta) == 0 then return false end
return {
  redis.call('HGETALL', meta),
  redis.call('HGETALL', alerts),
  redis.call('HGETALL', log),
  redis.call('ZSCORE', due, ARGV[1]),
}
