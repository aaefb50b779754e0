-- Extends a claim's lease if it still holds the group: the group is due no earlier than the new
-- lease end, and its keys expire no earlier either.
-- KEYS: 1 group meta hash, 2 group alerts hash, 3 group notify log hash, 4 shard due zset
-- ARGV: 1 group id, 2 token, 3 new lease end, 4 grace ms
-- Returns 1 when extended, 0 when the token is stale or the group is gone (then nothing changed).
local meta, alerts, log, due = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local id = ARGV[1]
if redis.call('HGET', meta, 'token') ~= ARGV[2] then return 0 end
if tonumber(ARGV[3]) > score_of(due, id) then redis.call('ZADD', due, ARGV[3], id) end
expire_group(score_of(due, id), ARGV[4], redis_now(), meta, alerts, log)
return 1
