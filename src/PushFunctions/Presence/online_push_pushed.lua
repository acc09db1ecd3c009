-- A push that opened the window at window start reached this many connections: remember that audience (it sets the
-- next windows' length) and let the window run the interval that audience calls for, counted from the push's start
-- (it was held while the push was sent). A window opened by another push is left alone. Returns {interval ms}.
local window_key = KEYS[1]   -- string, the start (unix ms) of the push whose interval runs; held while it is sent
local audience_key = KEYS[2] -- string, connections the last push reached
local min_interval_ms = tonumber(ARGV[1])
local budget_per_second = tonumber(ARGV[2])
local audience = tonumber(ARGV[3])
local window_start = ARGV[4] -- what online_push_changed.lua or online_push_due.lua returned with {1, ...}
local audience_ttl_s = 86400 -- a day without a push starts again from the shortest window

redis.call('SET', audience_key, audience, 'EX', audience_ttl_s)
local interval_ms = math.max(min_interval_ms, math.ceil(audience * 1000 / budget_per_second))
if redis.call('GET', window_key) == window_start then
  local now = redis.call('TIME')
  local left = tonumber(window_start) + interval_ms - (now[1] * 1000 + math.floor(now[2] / 1000))
  if left > 0 then
    redis.call('PEXPIRE', window_key, left)
  else
    redis.call('DEL', window_key)
  end
end
return {interval_ms}
