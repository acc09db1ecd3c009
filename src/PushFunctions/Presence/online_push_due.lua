-- Is a change waiting for its push, and may it go now? Called when a window should have ended (by the change's own
-- request, or by the periodic check when that request could not wait).
-- Returns {1, window start}: push now (a change waits and no window is open; one opens). {-1, ms}: a change waits
-- for a window that ends ms from now at the latest (sooner when the push holding it reports). {0}: nothing waits.
local window_key = KEYS[1]   -- string, the start (unix ms) of the push whose interval runs; held while it is sent
local pending_key = KEYS[2]  -- string, a change happened during the window and no push covers it yet
local audience_key = KEYS[3] -- string, connections the last push reached
local min_interval_ms = tonumber(ARGV[1])
local budget_per_second = tonumber(ARGV[2])
local push_hold_ms = tonumber(ARGV[3]) -- longer than a push can take: until it reports, no other push starts

if redis.call('EXISTS', pending_key) == 0 then
  return {0}
end
local window_start = open_window(window_key, pending_key, audience_key, min_interval_ms, budget_per_second, push_hold_ms)
if window_start then
  return {1, window_start}
end
return {-1, redis.call('PTTL', window_key)}
