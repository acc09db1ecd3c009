-- Reads a page of a delivery stream: the entries after a cursor, and where the stream stands. A cursor from
-- another epoch, ahead of the counter, or whose seq now holds another message (Redis lost its newest writes and
-- the seqs were used again) means nothing here: the page starts again after restart_after and says so.
-- Runs after stream_functions.lua. Makes the counter and its epoch when they are missing, so the epoch a
-- reader sees first is the one the first append uses.
local stream_key = KEYS[1]
local seq_key = KEYS[2]
local epoch_key = KEYS[3]
local after = tonumber(ARGV[1])         -- the cursor's seq
local cursor_epoch = ARGV[2]            -- the epoch the cursor was taken in ('' = not known)
local cursor_id = ARGV[3]               -- the id of the message at the cursor's seq ('' = not known)
local restart_after = tonumber(ARGV[4]) -- where to start over when the cursor is of no use
local count = tonumber(ARGV[5])         -- entries the page may hold
local max_bytes = tonumber(ARGV[6])     -- payload bytes the page may hold (it holds at least one entry)
local cutoff = tonumber(ARGV[7])        -- ms; entries sent before this are expired
local new_epoch = ARGV[8]               -- the epoch to use if the counter does not exist yet
local lifetime_ms = tonumber(ARGV[9])   -- retention's max age: the lifetime of a counter this read makes
-- Returns a map: latest (seq), oldest (the oldest retained seq; latest + 1 when the stream holds nothing), epoch,
-- restarted (1 or 0), entries (after the start, as XRANGE gives them).

local epoch = epoch_of_counter(seq_key, epoch_key, new_epoch, lifetime_ms)
local latest = tonumber(redis.call('GET', seq_key))
-- Reading from restart_after itself (a room's join point) and finding the stream behind it is not a cursor
-- ahead: there is just nothing to read yet.
local restarted = (cursor_epoch ~= '' and cursor_epoch ~= epoch) or (after > latest and after ~= restart_after)
if not restarted and cursor_id ~= '' and after > 0 then
  local at = redis.call('XRANGE', stream_key, after .. '-0', after .. '-0')
  restarted = #at == 1 and at[1][2][ENTRY_ID] ~= cursor_id
end
if restarted then after = math.min(restart_after, latest) end

trim_by_age(stream_key, cutoff)
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
  bytes = bytes + #entry[2][ENTRY_PAYLOAD]
  if bytes > max_bytes and i > 1 then
    for j = #entries, i, -1 do entries[j] = nil end
    break
  end
end
return {map = {latest = latest, oldest = oldest, epoch = epoch, restarted = restarted and 1 or 0, entries = entries}}
