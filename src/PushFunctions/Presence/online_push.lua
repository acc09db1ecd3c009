-- The online-push window, shared by every app instance: at most one update_online_count push per interval.
-- ARGV[1] 'changed': presence just changed. Returns {1} push now (no window was open; one opens),
--   {-1, ms} push in ms (a window is open and you are the first to wait for its end), {0} another caller will.
-- ARGV[1] 'due': a change is waiting and no window is open (its waiter stopped): returns {1} push now, else {0}.
local window_key = KEYS[1]  -- exists while a push's interval runs
local pending_key = KEYS[2] -- a change happened during the window and no push covers it yet
local mode = ARGV[1]
local interval_ms = ARGV[2]
local pending_ttl_s = 86400 -- a flag outliving every interval; the repair timer clears it long before

if mode == 'changed' then
  if redis.call('SET', window_key, '1', 'NX', 'PX', interval_ms) then
    redis.call('DEL', pending_key)
    return {1}
  end
  if redis.call('SET', pending_key, '1', 'NX', 'EX', pending_ttl_s) then
    return {-1, redis.call('PTTL', window_key)}
  end
  return {0}
end

if mode == 'due' then
  if redis.call('EXISTS', pending_key) == 1 and redis.call('SET', window_key, '1', 'NX', 'PX', interval_ms) then
    redis.call('DEL', pending_key)
    return {1}
  end
  return {0}
end

return redis.error_reply('online_push.lua: unknown mode ' .. tostring(mode))
