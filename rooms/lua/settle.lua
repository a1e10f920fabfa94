-- Reschedule a room in a schedule, but only if the room has not moved on since the caller
-- looked (otherwise whoever moved it settles it, or the claim lease brings it back).
-- KEYS: 1 seq, 2 schedule   ARGV: 1 seq the caller saw, 2 next due time or "" (none), 3 member
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current ~= tonumber(ARGV[1]) then return 0 end
if ARGV[2] == '' then
  redis.call('ZREM', KEYS[2], ARGV[3])
else
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
end
return 1
