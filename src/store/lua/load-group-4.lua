-- Reads one group at one instant.
-- KEYS: 1 group meta hash, 2 group alerts hash, 3 group notify log hash, 4 shard due zset
-- ARGV: 1 group id
-- Returns nil when the group is absent, else { its hashes (group_hashes), its due time (nil if
-- it has none) }.
local meta, alerts, log, due = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local meta_fields = redis.call('HGETALL', meta)
if #meta_fields == 0 then return false end
return { group_hashes(meta_fields, alerts, log), redis.call('ZSCORE', due, ARGV[1]) }
