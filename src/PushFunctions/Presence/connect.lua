-- Records a live connection (again: a connection that confirms itself after its connected event changes nothing
-- but its lease). Returns {1 when this made the user online (their first connection) else 0,
-- 1 when the connection was not recorded yet else 0}.
local connections_key = KEYS[1] -- hash: the user's connection ids -> session id
local online_key = KEYS[2]      -- sorted set: online user ids, all score 0 (ordered by id)
local names_key = KEYS[3]       -- hash: online user id -> user name
local leases_key = KEYS[4]      -- sorted set: "user id|connection id" -> lease expiry (unix ms)
local connection_id = ARGV[1]
local session_id = ARGV[2]
local user_id = ARGV[3]
local user_name = ARGV[4]
local lease_expiry = ARGV[5]

local new_connection = redis.call('HSET', connections_key, connection_id, session_id)
redis.call('ZADD', leases_key, lease_expiry, user_id .. '|' .. connection_id)
redis.call('HSET', names_key, user_id, user_name)
return {redis.call('ZADD', online_key, 0, user_id), new_connection}
