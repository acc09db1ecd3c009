-- Forgets a connection. Returns 1 when this made the user offline (their last connection).
-- KEYS as connect.lua; ARGV: connection id, user id
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[2] .. '|' .. ARGV[1])
if redis.call('HLEN', KEYS[1]) == 0 and redis.call('ZREM', KEYS[2], ARGV[2]) == 1 then
  redis.call('HDEL', KEYS[3], ARGV[2])
  return 1
end
return 0
