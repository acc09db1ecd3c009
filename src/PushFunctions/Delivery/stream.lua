-- One delivery stream. Entries are XADDed with id "<seq>-0", so XRANGE by seq needs no index.
-- Fields, always in this order: id, from, t (sent at, ms), p (payload JSON).
-- KEYS[1] the stream, KEYS[2] its seq counter, KEYS[3] the idempotency record (append only),
-- KEYS[4] and KEYS[5] a room's member set and online-member set (room appends only; same hash tag)
-- ARGV[1] 'append' | 'read'
local stream, seq_key = KEYS[1], KEYS[2]
local T_FIELD = 6 -- position of the sent-at value in an entry's field list

local function seq_of(entry_id)
  return tonumber(string.match(entry_id, '^(%d+)'))
end

-- Drops entries older than cutoff. Bounded: one probe when nothing has expired, else at most 64 entries.
local function trim_by_age(cutoff)
  local probe = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)
  if #probe == 0 or tonumber(probe[1][2][T_FIELD]) >= cutoff then return end
  local oldest = redis.call('XRANGE', stream, '-', '+', 'COUNT', 64)
  for _, entry in ipairs(oldest) do
    if tonumber(entry[2][T_FIELD]) >= cutoff then
      redis.call('XTRIM', stream, 'MINID', entry[1])
      return
    end
  end
  redis.call('XTRIM', stream, 'MINID', (seq_of(oldest[#oldest][1]) + 1) .. '-0')
end

local mode = ARGV[1]

if mode == 'append' then
  -- ARGV: mode, id, from, payload, now ms, max length, max age ms, idempotency ttl s (0 = none), request hash,
  --       '1' for a room, the member the room send must come from ('' for the server)
  -- Returns {1, seq, members, online members}, {0, 'id|seq|hash|members|online'} for a replay, or {-1} when the sender is no member.
  local id, from, payload = ARGV[2], ARGV[3], ARGV[4]
  local now, max_len, max_age, idem_ttl, request_hash =
    tonumber(ARGV[5]), ARGV[6], tonumber(ARGV[7]), tonumber(ARGV[8]), ARGV[9]
  local is_room, member = ARGV[10] == '1', ARGV[11]
  if is_room and member ~= '' and redis.call('SISMEMBER', KEYS[4], member) == 0 then return {-1} end
  if idem_ttl > 0 then
    local previous = redis.call('GET', KEYS[3])
    if previous then return {0, previous} end
  end
  local seq = redis.call('INCR', seq_key)
  redis.call('XADD', stream, 'MAXLEN', max_len, seq .. '-0', 'id', id, 'from', from, 't', now, 'p', payload)
  trim_by_age(now - max_age)
  local members, online = 0, 0
  if is_room then members, online = redis.call('SCARD', KEYS[4]), redis.call('SCARD', KEYS[5]) end
  if idem_ttl > 0 then
    redis.call('SET', KEYS[3], table.concat({id, seq, request_hash, members, online}, '|'), 'EX', idem_ttl)
  end
  return {1, seq, members, online}
end

if mode == 'read' then
  -- ARGV: mode, after seq, max count, cutoff ms (entries older than this are expired)
  -- Returns {latest seq, oldest retained seq, entries}.
  local after, count, cutoff = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
  local latest = tonumber(redis.call('GET', seq_key) or '0')
  trim_by_age(cutoff)
  local first = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)
  local oldest = latest + 1
  if #first > 0 then oldest = seq_of(first[1][1]) end
  local entries = {}
  if after < latest then
    entries = redis.call('XRANGE', stream, '(' .. after .. '-0', '+', 'COUNT', count)
  end
  return {latest, oldest, entries}
end

return redis.error_reply('stream.lua: unknown mode ' .. tostring(mode))
