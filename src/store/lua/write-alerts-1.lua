-- Writes alerts into groups, each only if its slot still holds what the write was computed
-- from. Writes apply in order, so a later write may expect a group an earlier one made. On one
-- Redis a call carries a whole batch, of any shards; on a Cluster, the writes of one shard.
-- KEYS: 1 a key of the first write's shard, which routes the call on a Cluster (not read)
-- ARGV: 1 the key prefix up to the shard's hash tag (`<prefix>:{`), 2 grace ms,
--       3 '1' to count the alerts added in the shards' counts now ('' = at the group's next commit),
--       then one argument per write, its fields joined by NUL bytes (one argument costs the
--       client far less than eight to fifteen): shard, group id, fingerprint, encoded alert,
--       expected alert updatedAt ('' = absent), expected group createdAt ('' = absent),
--       wake at ('' = none), most alerts the group may hold to add one ('' = any),
--       updatedAt of the retired alert the write saw in the empty slot ('' = none),
--       '1' when 6 more fields follow with the group to create if absent (key, route id,
--       receiver, labels JSON, createdAt, origin), '' when the write creates nothing.
--       No field holds a NUL byte (redis-store.ts, packWrite).
-- Returns one integer per write: 1 when written, 0 when an expectation failed (then that write
-- changed nothing).
local tag_prefix, grace, count_now, now = ARGV[1], ARGV[2], ARGV[3] ~= '', redis_now()

-- Keys get their expiry when the group is created or its due time moves: a write that does
-- neither leaves the expiry the last claim or commit set, which already outlasts the due time.
-- Shard-wide key names are built only where used: most writes add an alert to a group and need
-- none of them.
local function write(f)
  local shard, id, fingerprint = f[1], f[2], f[3]
  local meta, alerts = shard_key(tag_prefix, shard, 'g:' .. id), shard_key(tag_prefix, shard, 'a:' .. id)
  local group = redis.call('HMGET', meta, 'createdAt', 'retiredUntil')
  local created_at = group[1] or ''
  if created_at ~= f[6] then return 0 end
  -- An alert exists only inside its group: leftovers of an expired group do not count.
  local stored = ''
  if created_at ~= '' then
    local alert = redis.call('HGET', alerts, fingerprint)
    if alert then stored = updated_at(alert) end
  end
  if stored ~= f[5] then return 0 end
  local adds = stored == ''
  if adds and created_at ~= '' then
    -- A new alert merges with the slot's retired alert: a writer that guessed the slot empty
    -- (SlotCache) without seeing it reads and tries again. One for an absent group was read.
    -- Only a group that retired alerts lately, or whose earlier incarnation did (create_group),
    -- is looked at: most adds pay nothing.
    if group[2] and tonumber(group[2]) > now then
      local retired = redis.call('GET', retired_key(tag_prefix, shard, id, fingerprint))
      if (retired and updated_at(retired) or '') ~= f[9] then return 0 end
    end
    -- Checked here, atomically, so that concurrent writers cannot fill a group beyond its limit.
    local max_alerts = f[8]
    if max_alerts ~= '' and redis.call('HLEN', alerts) >= tonumber(max_alerts) then return 0 end
  end

  local due_moved = nil
  if created_at == '' then
    local origin = f[16]
    redis.call('DEL', alerts, shard_key(tag_prefix, shard, 'n:' .. id))
    local fields = { 'key', f[11], 'routeId', f[12], 'receiver', f[13], 'labels', f[14], 'createdAt', f[15], 'origin', origin, 'lastTick', '0' }
    create_group(meta, retired_until_key(tag_prefix, shard, id), fields,
      shard_key(tag_prefix, shard, 'due'), shard_key(tag_prefix, shard, 'ids'), id, origin)
    due_moved = origin
  end
  redis.call('HSET', alerts, fingerprint, f[4])
  if count_now then
    local counts = shard_key(tag_prefix, shard, 'counts')
    if created_at == '' then
      count_group(counts, id, f[12], 1)
    elseif adds then
      -- The hot path: two increments. A group not counted yet gets its route at its next commit.
      redis.call('HINCRBY', counts, 'alerts', 1)
      redis.call('HINCRBY', counts, 'group-alerts:' .. id, 1)
    end
  end

  local wake_at = f[7]
  if wake_at ~= '' then
    local wake = tonumber(wake_at)
    local due = shard_key(tag_prefix, shard, 'due')
    if redis.call('HEXISTS', meta, 'token') == 1 then
      -- Leased: the holder's commit sets the due time, and honours this.
      local pending = tonumber(redis.call('HGET', meta, 'pendingWake'))
      if not pending or wake < pending then redis.call('HSET', meta, 'pendingWake', wake_at) end
    elseif wake < score_of(due, id) then
      redis.call('ZADD', due, wake_at, id)
      due_moved = wake_at
    end
  end

  if due_moved then expire_group(due_moved, grace, now, meta, alerts, shard_key(tag_prefix, shard, 'n:' .. id)) end
  return 1
end

local results = {}
for i = 4, #ARGV do results[#results + 1] = write(packed_fields(ARGV[i])) end
return results
