-- One delivery stream: its entries, its seq counter and its epoch, all under the stream's hash tag.
-- Entries are XADDed with id "<seq>-0", so XRANGE by seq needs no index.
-- Fields, always in this order: id, from, t (sent at, ms), p (payload JSON).
-- The epoch is made whenever the counter is made (first append or first read). A counter that Redis
-- lost (restart without persistence, failover to an empty replica) comes back with another epoch, so a
-- client tells "this stream started again" from "this stream moved on".
local stream_key = KEYS[1]
local seq_key = KEYS[2]
local epoch_key = KEYS[3]
local idempotency_key = KEYS[4]     -- the stream's idempotency records: a hash of '<from>:<key>' -> record
local idempotency_order_key = KEYS[7] -- the same records by the seq they stored, so they are trimmed with the stream
local members_key = KEYS[5]         -- room appends only: the room's member set
local online_members_key = KEYS[6]  -- room appends only: its online members
local mode = ARGV[1]                -- 'append' | 'read'
local new_epoch = ARGV[2]           -- the epoch to use if the counter does not exist yet
-- Every key of a stream lives as long as its newest message may be kept (retention's max age), renewed by each
-- append: a stream nobody writes to leaves nothing behind.
local T_FIELD = 6 -- position of the sent-at value in an entry's field list

local function seq_of(entry_id)
  return tonumber(string.match(entry_id, '^(%d+)'))
end

-- The stream's epoch, making the counter (at 0) and the epoch together when the counter is missing.
-- A counter without an epoch predates epochs: it gets one and keeps its seq.
local function epoch_of_counter(lifetime_ms)
  if redis.call('EXISTS', seq_key) == 0 then
    redis.call('SET', seq_key, 0, 'PX', lifetime_ms)
    redis.call('SET', epoch_key, new_epoch, 'PX', lifetime_ms)
    return new_epoch
  end
  local epoch = redis.call('GET', epoch_key)
  if epoch then return epoch end
  redis.call('SET', epoch_key, new_epoch)
  return new_epoch
end

-- Drops entries older than cutoff. Bounded: one probe when nothing has expired, else at most 64 entries.
local function trim_by_age(cutoff)
  local probe = redis.call('XRANGE', stream_key, '-', '+', 'COUNT', 1)
  if #probe == 0 or tonumber(probe[1][2][T_FIELD]) >= cutoff then return end
  local oldest = redis.call('XRANGE', stream_key, '-', '+', 'COUNT', 64)
  for _, entry in ipairs(oldest) do
    if tonumber(entry[2][T_FIELD]) >= cutoff then
      redis.call('XTRIM', stream_key, 'MINID', entry[1])
      return
    end
  end
  redis.call('XTRIM', stream_key, 'MINID', (seq_of(oldest[#oldest][1]) + 1) .. '-0')
end

if mode == 'append' then
  local id = ARGV[3]
  local from = ARGV[4]
  local payload = ARGV[5]
  local now = tonumber(ARGV[6])
  local max_len = ARGV[7]
  local max_age = tonumber(ARGV[8])
  local idem_ttl = tonumber(ARGV[9])  -- seconds; 0 = no idempotency key
  local request_hash = ARGV[10]
  local is_room = ARGV[11] == '1'
  local member = ARGV[12]             -- the member a room send must come from ('' for the server)
  local idem_field = ARGV[13]         -- '<from>:<key>' ('' = no idempotency key)
  -- Returns {1, seq, epoch, members, online members}, {0, 'id|seq|hash|members|online'} for a replay,
  -- or {-1} when the sender is no member.
  if is_room and member ~= '' and redis.call('SISMEMBER', members_key, member) == 0 then return {-1} end
  if idem_ttl > 0 then
    local previous = redis.call('HGET', idempotency_key, idem_field)
    -- A record ends with the time it was made: past the window it no longer counts.
    if previous and now - tonumber(string.match(previous, '|(%d+)$')) < idem_ttl * 1000 then return {0, previous} end
  end
  local epoch = epoch_of_counter(max_age)
  local seq = redis.call('INCR', seq_key)
  redis.call('XADD', stream_key, 'MAXLEN', max_len, seq .. '-0', 'id', id, 'from', from, 't', now, 'p', payload)
  trim_by_age(now - max_age)
  local members, online = 0, 0
  if is_room then members, online = redis.call('SCARD', members_key), redis.call('SCARD', online_members_key) end
  if idem_ttl > 0 then
    redis.call('HSET', idempotency_key, idem_field, table.concat({id, seq, request_hash, members, online, now}, '|'))
    redis.call('ZADD', idempotency_order_key, seq, idem_field)
  end
  -- Records of messages the stream no longer holds go too (a few at a time: bounded work per append).
  local first = redis.call('EXISTS', idempotency_order_key) == 1 and redis.call('XRANGE', stream_key, '-', '+', 'COUNT', 1) or {}
  if #first > 0 then
    local stale = redis.call('ZRANGEBYSCORE', idempotency_order_key, '-inf', '(' .. seq_of(first[1][1]), 'LIMIT', 0, 64)
    if #stale > 0 then
      redis.call('HDEL', idempotency_key, unpack(stale))
      redis.call('ZREM', idempotency_order_key, unpack(stale))
    end
  end
  for _, key in ipairs({stream_key, seq_key, epoch_key, idempotency_key, idempotency_order_key}) do
    redis.call('PEXPIRE', key, max_age)
  end
  return {1, seq, epoch, members, online}
end

if mode == 'read' then
  local after = tonumber(ARGV[3])
  local count = tonumber(ARGV[4])
  local cutoff = tonumber(ARGV[5])     -- ms; entries older than this are expired
  local cursor_epoch = ARGV[6]         -- the epoch the cursor was taken in ('' = not known)
  local restart_after = tonumber(ARGV[7]) -- where to start over when the cursor is of no use
  local cursor_id = ARGV[8]            -- the id of the message at the cursor's seq ('' = not known)
  local max_bytes = tonumber(ARGV[9])  -- payload bytes this page may hold (at least one message is returned)
  local lifetime_ms = tonumber(ARGV[10]) -- retention's max age: the lifetime of a counter this read makes
  -- A cursor from another epoch, ahead of the counter, or whose seq now holds another message (Redis
  -- lost its newest writes and the seqs were used again) means nothing here: start again from
  -- restart_after and say so.
  -- Returns {latest seq, oldest retained seq, epoch, 1 if restarted else 0, entries after the start}.
  local epoch = epoch_of_counter(lifetime_ms)
  local latest = tonumber(redis.call('GET', seq_key))
  -- Reading from restart_after itself (a room's join point) and finding the stream behind it is not a cursor
  -- ahead: there is just nothing to read yet.
  local restarted = (cursor_epoch ~= '' and cursor_epoch ~= epoch) or (after > latest and after ~= restart_after)
  if not restarted and cursor_id ~= '' and after > 0 then
    local at = redis.call('XRANGE', stream_key, after .. '-0', after .. '-0')
    restarted = #at == 1 and at[1][2][2] ~= cursor_id
  end
  if restarted then after = math.min(restart_after, latest) end
  trim_by_age(cutoff)
  local first = redis.call('XRANGE', stream_key, '-', '+', 'COUNT', 1)
  local oldest = latest + 1
  if #first > 0 then oldest = seq_of(first[1][1]) end
  local entries = {}
  if after < latest then
    entries = redis.call('XRANGE', stream_key, '(' .. after .. '-0', '+', 'COUNT', count)
  end
  -- Keep the page within the byte budget here, so a page of large payloads never leaves Redis whole.
  local bytes = 0
  for i, entry in ipairs(entries) do
    bytes = bytes + #entry[2][8]
    if bytes > max_bytes and i > 1 then
      for j = #entries, i, -1 do entries[j] = nil end
      break
    end
  end
  return {latest, oldest, epoch, restarted and 1 or 0, entries}
end

return redis.error_reply('stream.lua: unknown mode ' .. tostring(mode))
