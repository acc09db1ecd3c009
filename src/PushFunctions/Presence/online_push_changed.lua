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

local window_start = open_window(window_key, pending_key, audience_key, min_interval_ms, budget_per_second, push_hold_ms)
if window_start then
  return {1, window_start}
end
if redis.call('SET', pending_key, '1', 'NX', 'EX', pending_ttl_s) then
  return {-1, redis.call('PTTL', window_key)}
end
return {0}
