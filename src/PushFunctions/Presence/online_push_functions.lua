-- Functions the online push scripts share: online_push_changed.lua and online_push_due.lua each run as this file
-- followed by the script. They read no KEYS or ARGV: the script passes what they touch.

-- Opens the push window unless one is open: it lasts max(min interval, audience / budget), and at least the push's
-- hold, so that a push reports before the next can start. Returns the window's start (unix ms), or nil when a window
-- was open. An opened window clears the pending change: the push about to be sent covers it.
local function open_window(window_key, pending_key, audience_key, min_interval_ms, budget_per_second, push_hold_ms)
  local audience = tonumber(redis.call('GET', audience_key) or '0')
  local interval_ms = math.max(min_interval_ms, math.ceil(audience * 1000 / budget_per_second))
  local now = redis.call('TIME')
  local now_ms = now[1] * 1000 + math.floor(now[2] / 1000)
  if redis.call('SET', window_key, now_ms, 'NX', 'PX', math.max(interval_ms, push_hold_ms)) then
    redis.call('DEL', pending_key)
    return now_ms
  end
  return nil
end
