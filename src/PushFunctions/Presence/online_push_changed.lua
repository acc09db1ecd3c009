-- Presence just changed: decide who pushes update_online_count. At most one push per window, shared by every app
-- instance; a window lasts max(min interval, audience / budget) so that pushes deliver at most budget messages a
-- second (each push is one message to every connection).
-- Pushes never overlap: the window is held while its push is sent, so pushes reach clients in the order they read.
-- Returns {1, window start}: push now (no window was open; one opens, to be passed to online_push_pushed.lua).
-- {-1, ms}: a window is open and you are the first change in it: push at its end, ms from now at the latest.
-- {0}: a change in this window already waits for its end; nothing to do.
local window_key = KEYS[1]   -- string, the start (unix ms) of the push whose interval runs; held while it is sent
local pending_key = KEYS[2]  -- string, a change happened during the window and no push covers it yet
local audience_key = KEYS[3] -- string, connections the last push reached
local min_interval_ms = tonumber(ARGV[1])
local budget_per_second = tonumber(ARGV[2])
local push_hold_ms = tonumber(ARGV[3]) -- longer than a push can take: until it reports, no other push starts
local pending_ttl_s = 86400 -- outlives every window; the periodic check pushes and clears it long before

-- Opening the window is written in online_push_due.lua too: a script cannot call another, and each is one atomic step.
local audience = tonumber(redis.call('GET', audience_key) or '0')
local interval_ms = math.max(min_interval_ms, math.ceil(audience * 1000 / budget_per_second))
local now = redis.call('TIME')
local now_ms = now[1] * 1000 + math.floor(now[2] / 1000)
if redis.call('SET', window_key, now_ms, 'NX', 'PX', math.max(interval_ms, push_hold_ms)) then
  redis.call('DEL', pending_key)
  return {1, now_ms}
end
if redis.call('SET', pending_key, '1', 'NX', 'EX', pending_ttl_s) then
  return {-1, redis.call('PTTL', window_key)}
end
return {0}
