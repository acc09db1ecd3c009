-- Moves a user's server-side cursors. Within an epoch a cursor only moves forward (a stale device never moves
-- it back); a cursor from another epoch, or ahead of its stream (Redis lost the newest writes), is replaced.
-- A value is '<seq>:<epoch>', or '<seq>' when the epoch is not known (set at login or join).
local cursors_key = KEYS[1]
-- ARGV, four per stream: the stream, the seq and epoch to move to, the stream's latest seq.
-- Returns a map: moved (how many cursors changed).
local moved = 0
for i = 1, #ARGV, 4 do
  local stream, seq, epoch, latest = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2], tonumber(ARGV[i + 3])
  local current = redis.call('HGET', cursors_key, stream)
  local current_seq, current_epoch = 0, ''
  if current then
    local s, e = string.match(current, '^(%d+):?(.*)$')
    current_seq, current_epoch = tonumber(s) or 0, e or ''
  end
  if seq > current_seq or current_seq > latest or (current_epoch ~= '' and current_epoch ~= epoch) then
    redis.call('HSET', cursors_key, stream, seq .. ':' .. epoch)
    moved = moved + 1
  end
end
return {map = {moved = moved}}
