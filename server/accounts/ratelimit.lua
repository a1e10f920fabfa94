-- One fixed-window counter: count this hit, start the window on the first one.
-- KEYS[1] counter key; ARGV[1] limit; ARGV[2] window in seconds.
-- Returns 0 when the hit is allowed, else the seconds until the window ends (at least 1).
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
end
if count <= tonumber(ARGV[1]) then
  return 0
end
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then
  -- A counter left without expiry (should not happen) is given one now, so it cannot stick.
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
  ttl = tonumber(ARGV[2])
end
return math.max(ttl, 1)
