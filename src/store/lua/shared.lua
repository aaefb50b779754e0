-- Prepended to every script of this directory when it is loaded.

-- The updatedAt of an encoded alert, as a string: the first element of its JSON array
-- (see redis-codec.ts). Compared as strings, so no number formatting can differ.
local function updated_at(encoded)
  local value = string.match(encoded, '^%[([^,]*),')
  if not value then error({ err = 'CORRUPT stored alert is not an encoded alert' }) end
  return value
end

-- A group's keys expire `grace` ms after its due time: live groups never expire, because every
-- script that moves the due time moves the expiry with it; abandoned ones are gone after `grace`.
-- Redis expires keys by its own clock, so the time left until the due time is counted from
-- Redis's TIME; a caller whose clock runs far behind (a test's fake clock) still gets `grace`.
local function expire_group(due_at, grace, meta, alerts, log)
  local time = redis.call('TIME')
  local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  local ttl = math.floor(math.max(tonumber(due_at) - now, 0) + tonumber(grace))
  redis.call('PEXPIRE', meta, ttl)
  redis.call('PEXPIRE', alerts, ttl)
  redis.call('PEXPIRE', log, ttl)
end

-- Puts a new group on its shard's schedule and in its shard's id index.
local function list_group(due, ids, id, due_at)
  redis.call('ZADD', due, due_at, id)
  redis.call('ZADD', ids, 0, id)
end

-- Takes a deleted or expired group off its shard's schedule and out of its id index.
local function unlist_group(due, ids, id)
  redis.call('ZREM', due, id)
  redis.call('ZREM', ids, id)
end

-- The member's score in a sorted set, as a number, or nil.
local function score_of(zset, member)
  return tonumber(redis.call('ZSCORE', zset, member))
end
