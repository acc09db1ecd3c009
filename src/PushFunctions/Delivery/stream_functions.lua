-- Functions the stream scripts share: stream_append.lua and stream_read.lua each run as this file followed by the
-- script. They read no KEYS or ARGV: the script passes what they touch.
-- A delivery stream is its entries, its seq counter and its epoch, all under the stream's hash tag. Entries are
-- XADDed with id '<seq>-0' (so XRANGE by seq needs no index) and their fields always in this order:
-- id, from, t (sent at, ms), p (payload JSON).
local ENTRY_ID, ENTRY_SENT_AT, ENTRY_PAYLOAD = 2, 6, 8 -- where the values of id, t and p stand in an entry's field list

local function seq_of(entry_id)
  return tonumber(string.match(entry_id, '^(%d+)'))
end

-- The stream's epoch, made whenever its counter is made (first append or first read): a counter that Redis lost
-- (restart without persistence, failover to an empty replica) comes back with another epoch, so a client tells
-- "this stream started again" from "this stream moved on". A counter whose epoch is missing gets one and keeps
-- its seq.
local function epoch_of_counter(seq_key, epoch_key, new_epoch, lifetime_ms)
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

-- Drops the entries sent before cutoff (ms). Bounded: one probe when nothing has expired, else at most 64 entries.
local function trim_by_age(stream_key, cutoff)
  local probe = redis.call('XRANGE', stream_key, '-', '+', 'COUNT', 1)
  if #probe == 0 or tonumber(probe[1][2][ENTRY_SENT_AT]) >= cutoff then return end
  local oldest = redis.call('XRANGE', stream_key, '-', '+', 'COUNT', 64)
  for _, entry in ipairs(oldest) do
    if tonumber(entry[2][ENTRY_SENT_AT]) >= cutoff then
      redis.call('XTRIM', stream_key, 'MINID', entry[1])
      return
    end
  end
  redis.call('XTRIM', stream_key, 'MINID', (seq_of(oldest[#oldest][1]) + 1) .. '-0')
end
