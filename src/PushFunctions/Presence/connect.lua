-- Records a live connection. Returns 1 when this made the user online (their first connection).
-- KEYS[1] the user's connections, KEYS[2] online users, KEYS[3] user names, KEYS[4] connection leases
-- ARGV: connection id, session id, user id, user name, lease expiry (ms)
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[4], ARGV[5], ARGV[3] .. '|' .. ARGV[1])
redis.call('HSET', KEYS[3], ARGV[3], ARGV[4])
return redis.call('ZADD', KEYS[2], 0, ARGV[3])
