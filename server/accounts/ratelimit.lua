-- One fixed-window counter on the caller's clock, so a test moves `now` instead of sleeping.
-- KEYS[1] the counter, a hash {start, count}.
-- ARGV[1] limit; ARGV[2] window in seconds; ARGV[3] now (epoch seconds, may be fractional);
-- ARGV[4] '1' to count this hit, '0' only to ask whether one more would be allowed.
-- Returns 0 when the hit is (or would be) allowed, else the whole seconds until the window ends
-- (at least 1). A window starts at the first hit after the last one ended; later hits do not
-- extend it. The key's TTL only collects it: the window itself is `start` + window.
local limit, window, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local saved = redis.call('HMGET', KEYS[1], 'start', 'count')
local start, count = tonumber(saved[1]), tonumber(saved[2])
if start == nil or count == nil or now >= start + window then
  start, count = now, 0
end
-- A process whose clock lags the one that opened the window waits no longer than a window.
local left = math.min(start + window - now, window)
if ARGV[4] == '1' then
  count = count + 1
  redis.call('HSET', KEYS[1], 'start', start, 'count', count)
  redis.call('PEXPIRE', KEYS[1], math.max(math.ceil(left * 1000), 1))
  if count <= limit then
    return 0
  end
elseif count < limit then
  return 0
end
return math.max(math.ceil(left), 1)
