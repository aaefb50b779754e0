-- Prepended to every script of this directory when it is loaded.

-- The updatedAt of an encoded alert, as a string: the first element of its JSON array
-- (see redis-codec.ts). Compared as strings, so no number formatting can differ.
local function updated_at(encoded)
  local value = string.match(encoded, '^%[([^,]*),')
  if not value then error({ err = 'CORRUPT stored alert is not an encoded alert' }) end
  return value
end

-- The tick of an encoded notify log entry: the first element of its JSON array (redis-codec.ts).
local function tick_of(encoded)
  local value = tonumber(string.match(encoded, '^%[([^,]*),'))
  if not value then error({ err = 'CORRUPT stored notify log entry is not an encoded entry' }) end
  return value
end

-- The fields of one argument that packs them joined by NUL bytes (redis-store.ts): one argument
-- costs the client far less than several.
local function packed_fields(packed)
  local fields, from = {}, 1
  while true do
    local at = string.find(packed, '\0', from, true)
    if not at then
      fields[#fields + 1] = string.sub(packed, from)
      return fields
    end
    fields[#fields + 1] = string.sub(packed, from, at - 1)
    from = at + 1
  end
end

-- A group's meta, alerts and log hashes, each as HGETALL returns it (redis-codec.ts, decodeGroup),
-- given the meta hash's, which the caller has read already.
local function group_hashes(meta_fields, alerts, log)
  return { meta_fields, redis.call('HGETALL', alerts), redis.call('HGETALL', log) }
end

-- A key of shard `shard`, as redis-keys.ts names it: `<prefix>:{<shard>}:<kind>`, where
-- `tag_prefix` is `<prefix>:{`. Scripts that take writes of several shards derive keys with it.
local function shard_key(tag_prefix, shard, kind)
  return tag_prefix .. shard .. '}:' .. kind
end

-- Redis's clock in ms. Frozen while a script runs, so a script reads it once.
local function redis_now()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end

-- A group's keys expire `grace` ms after its due time: live groups never expire, because every
-- script that moves the due time moves the expiry with it; abandoned ones are gone after `grace`.
-- Redis expires keys by its own clock, so the time left until the due time is counted from
-- Redis's `now` (redis_now); a caller whose clock runs far behind (a test's fake clock) still
-- gets `grace`.
local function expire_group(due_at, grace, now, meta, alerts, log)
  local ttl = tostring(math.floor(math.max(tonumber(due_at) - now, 0) + tonumber(grace)))
  redis.call('PEXPIRE', meta, ttl)
  redis.call('PEXPIRE', alerts, ttl)
  redis.call('PEXPIRE', log, ttl)
end

-- The key of the alert `fingerprint` retired from group `id` (store.ts, SlotState.retired): one key
-- each, so that each expires on its own, and outlives the group.
local function retired_key(tag_prefix, shard, id, fingerprint)
  return shard_key(tag_prefix, shard, 'r:' .. id .. ':' .. fingerprint)
end

-- Until when the retired alerts of a deleted group may be read: its meta's `retiredUntil`
-- (write-alerts-1.lua), kept in a key of its own when a commit deletes the group (commit-1.lua).
local function retired_until_key(tag_prefix, shard, id)
  return shard_key(tag_prefix, shard, 'rg:' .. id)
end

-- Creates a group's meta hash from `fields` (name, value, ...) and puts the group on its shard's
-- schedule, due at `due_at`, and in its id index. An earlier incarnation's retired alerts may
-- still be read (retired_until_key): adds to this one look for them too.
local function create_group(meta, retired_until, fields, due, ids, id, due_at)
  local until_ms = redis.call('GET', retired_until)
  if until_ms then
    fields[#fields + 1] = 'retiredUntil'
    fields[#fields + 1] = until_ms
  end
  redis.call('HSET', meta, unpack(fields))
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

-- A shard's counts hash, for the limits: `alerts` (alert copies in the shard's groups),
-- `route:<route id>` (groups per route), and per group what those include of it,
-- `group-alerts:<id>` and `group-route:<id>`. write-alerts adds to them as it writes (when asked
-- to), every commit brings them in line with its group, and claim-due takes out an expired
-- group: the per-group fields outlive the group's keys for that. A group never counted (merged
-- in after an outage, stored before the counts existed, or written without counting) is
-- counted whole at its next commit.

-- A field every counts hash keeps, with a value longer than hash-max-listpack-value (64 by
-- default): Redis then stores the hash as a hash table for good. As a listpack, which it would be
-- up to 512 fields (a shard of up to 256 groups), each read or write of a group's fields scans
-- the whole hash, and that cost more than all else a commit does.
local LAYOUT_FIELD = 'layout'
local LAYOUT_VALUE = 'a hash table: this value is longer than hash-max-listpack-value (count_group, shared.lua)'

-- Brings the counts in line with one group: `size` alerts for route `route`, or (nil, 0) when
-- the group is gone.
local function count_group(counts, id, route, size)
  -- A field that reaches 0 is deleted, so routes of an old config leave nothing behind.
  local function add(field, delta)
    if redis.call('HINCRBY', counts, field, delta) == 0 then redis.call('HDEL', counts, field) end
  end
  local alerts_field, route_field = 'group-alerts:' .. id, 'group-route:' .. id
  local counted = redis.call('HMGET', counts, alerts_field, route_field, LAYOUT_FIELD)
  local counted_size, counted_route = tonumber(counted[1]) or 0, counted[2] or nil
  if route ~= counted_route then
    if counted_route then add('route:' .. counted_route, -1) end
    if route then add('route:' .. route, 1) end
  end
  if size ~= counted_size then add('alerts', size - counted_size) end
  if not route then
    redis.call('HDEL', counts, alerts_field, route_field)
  elseif not counted[3] then
    redis.call('HSET', counts, alerts_field, size, route_field, route, LAYOUT_FIELD, LAYOUT_VALUE)
  elseif size ~= counted_size or route ~= counted_route then
    redis.call('HSET', counts, alerts_field, size, route_field, route)
  end
end
