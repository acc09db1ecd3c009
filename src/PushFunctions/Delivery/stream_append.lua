-- Appends one message to a delivery stream: the next seq, the entry, trims by length and age, and the
-- idempotency record; a room append also checks that the sender is a member and counts the room's members.
-- Runs after stream_functions.lua. Every key of a stream lives as long as its newest message may be kept
-- (retention's max age), renewed by each append: a stream nobody writes to leaves nothing behind.
local stream_key = KEYS[1]
local seq_key = KEYS[2]
local epoch_key = KEYS[3]
local idempotency_key = KEYS[4]       -- the stream's idempotency records: a hash of '<from>:<key>' -> record (JSON)
local idempotency_order_key = KEYS[5] -- the same records by the seq they stored, so they are trimmed with the stream
local members_key = KEYS[6]           -- a room append only: the room's member set
local online_members_key = KEYS[7]    -- a room append only: its online members
local id = ARGV[1]                    -- the new message's id
local from = ARGV[2]                  -- its sender ('' for none)
local payload = ARGV[3]               -- JSON
local now = tonumber(ARGV[4])         -- ms
local max_length = ARGV[5]            -- entries kept
local max_age = tonumber(ARGV[6])     -- ms an entry is kept
local new_epoch = ARGV[7]             -- the epoch to use if the counter does not exist yet
local idempotency_field = ARGV[8]     -- '<from>:<key>'; '' without an Idempotency-Key
local idempotency_window = tonumber(ARGV[9]) -- ms a record answers for the same key
local request_hash = ARGV[10]         -- identifies the request behind the key
local required_member = ARGV[11]      -- a room append from a session: who must be a member ('' for the server)
-- Returns a map whose status is 'stored' (with seq, epoch, members, online), 'replayed' (an earlier request with
-- the same key stored id at seq, with members and online as then), 'key_reused' (the key came with another
-- request) or 'not_member'. members and online count a room's members and online members (0 elsewhere).

local is_room = members_key ~= nil
if is_room and required_member ~= '' and redis.call('SISMEMBER', members_key, required_member) == 0 then
  return {map = {status = 'not_member'}}
end

local idempotent = idempotency_field ~= ''
if idempotent then
  local previous = redis.call('HGET', idempotency_key, idempotency_field)
  local record = previous and cjson.decode(previous)
  -- Past the window a record no longer counts.
  if record and now - record.at < idempotency_window then
    if record.hash ~= request_hash then return {map = {status = 'key_reused'}} end
    return {map = {status = 'replayed', id = record.id, seq = record.seq, members = record.members, online = record.online}}
  end
end

local epoch = epoch_of_counter(seq_key, epoch_key, new_epoch, max_age)
local seq = redis.call('INCR', seq_key)
redis.call('XADD', stream_key, 'MAXLEN', max_length, seq .. '-0', 'id', id, 'from', from, 't', now, 'p', payload)
trim_by_age(stream_key, now - max_age)
local members, online = 0, 0
if is_room then members, online = redis.call('SCARD', members_key), redis.call('SCARD', online_members_key) end

if idempotent then
  redis.call('HSET', idempotency_key, idempotency_field,
    cjson.encode({id = id, seq = seq, hash = request_hash, members = members, online = online, at = now}))
  redis.call('ZADD', idempotency_order_key, seq, idempotency_field)
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
return {map = {status = 'stored', seq = seq, epoch = epoch, members = members, online = online}}
