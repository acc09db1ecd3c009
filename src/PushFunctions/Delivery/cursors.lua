-- Advances a user's server-side cursors; a cursor never moves back.
-- KEYS[1] the user's cursor hash; ARGV: stream, seq, stream, seq, ...
for i = 1, #ARGV, 2 do
  local current = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0')
  if tonumber(ARGV[i + 1]) > current then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
return 0
