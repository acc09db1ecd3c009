-- The online-push window, shared by every app instance: at most one update_online_count push per interval, and
-- the interval grows with the audience so that pushes deliver at most budget messages per second (each push is
-- one message to every connection): interval = max(min interval, audience / budget).
-- ARGV[1] 'changed': presence just changed. Returns {1} push now (no window was open; one opens),
--   {-1, ms} push in ms (a window is open and you are the first to wait for its end), {0} another caller will.
-- ARGV[1] 'due': is a change waiting? Returns {1} push now (no window is open; one opens), {-1, ms} still waiting
--   for a window that ends in ms, {0} nothing is waiting.
-- ARGV[1] 'pushed': a push reached ARGV[4] connections: remembers that audience and stretches the open window
--   to the interval it calls for. Returns {interval ms}.
local window_key = KEYS[1]   -- exists while a push's interval runs
local pending_key = KEYS[2]  -- a change happened during the window and no push covers it yet
local audience_key = KEYS[3] -- connections the last push reached
local mode = ARGV[1]
local min_interval_ms = tonumber(ARGV[2])
local budget_per_second = tonumber(ARGV[3])
local pushed_audience = tonumber(ARGV[4])
local pending_ttl_s = 86400 -- flags outliving every interval; the repair timer clears pending long before

local function interval_ms(audience)
  return math.max(min_interval_ms, math.ceil(audience * 1000 / budget_per_second))
end

local function open_window()
  return redis.call('SET', window_key, '1', 'NX', 'PX', interval_ms(tonumber(redis.call('GET', audience_key) or '0')))
end

if mode == 'changed' then
  if open_window() then
    redis.call('DEL', pending_key)
    return {1}
  end
  if redis.call('SET', pending_key, '1', 'NX', 'EX', pending_ttl_s) then
    return {-1, redis.call('PTTL', window_key)}
  end
  return {0}
end

if mode == 'due' then
  if redis.call('EXISTS', pending_key) == 0 then
    return {0}
  end
  if open_window() then
    redis.call('DEL', pending_key)
    return {1}
  end
  return {-1, redis.call('PTTL', window_key)}
end

if mode == 'pushed' then
  redis.call('SET', audience_key, pushed_audience, 'EX', pending_ttl_s)
  local ms = interval_ms(pushed_audience)
  local left = redis.call('PTTL', window_key)
  if left > 0 and left < ms then
    redis.call('PEXPIRE', window_key, ms)
  end
  return {ms}
end

return redis.error_reply('online_push.lua: unknown mode ' .. tostring(mode))
