-- Forgets a connection. Returns 1 when this made the user offline (their last connection), else 0.
local connections_key = KEYS[1] -- hash: the user's connection ids -> session id
local online_key = KEYS[2]      -- sorted set: online user ids
local names_key = KEYS[3]       -- hash: online user id -> user name
local leases_key = KEYS[4]      -- sorted set: "user id|connection id" -> lease expiry
local connection_id = ARGV[1]
local user_id = ARGV[2]

redis.call('HDEL', connections_key, connection_id)
redis.call('ZREM', leases_key, user_id .. '|' .. connection_id)
if redis.call('HLEN', connections_key) == 0 and redis.call('ZREM', online_key, user_id) == 1 then
  redis.call('HDEL', names_key, user_id)
  return 1
end
return 0
