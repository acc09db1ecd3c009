-- One presence shard's part of an online page, read at one moment: the shard's online users and live
-- connections counted, and its first online users after a user id, with their names.
-- Returns {online count, connection count, user id 1, name 1, user id 2, name 2, ...}.
local online_key = KEYS[1] -- sorted set: online user ids, all score 0 (ordered by id)
local names_key = KEYS[2]  -- hash: online user id -> user name
local leases_key = KEYS[3] -- sorted set: one lease per live connection
local after = ARGV[1]      -- a user id, or '' for the first page (no user id is empty)
local limit = tonumber(ARGV[2])

local from = '-'
if after ~= '' then
  from = '(' .. after
end
local ids = redis.call('ZRANGEBYLEX', online_key, from, '+', 'LIMIT', 0, limit)
local reply = {redis.call('ZCARD', online_key), redis.call('ZCARD', leases_key)}
if #ids == 0 then
  return reply
end
local names = redis.call('HMGET', names_key, unpack(ids))
for i, id in ipairs(ids) do
  reply[#reply + 1] = id
  reply[#reply + 1] = names[i] or id
end
return reply
