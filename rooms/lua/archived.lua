-- Record that a room is archived up to a seq; drop it from the dirty set only if nothing newer
-- was appended meanwhile, else mark it dirty again from now.
-- KEYS: 1 seq, 2 archived, 3 dirty set   ARGV: 1 archived seq, 2 now, 3 member
local archived = tonumber(ARGV[1])
local before = tonumber(redis.call('GET', KEYS[2]) or '0')
if archived > before then redis.call('SET', KEYS[2], archived) end
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current <= archived then
  redis.call('ZREM', KEYS[3], ARGV[3])
else
  redis.call('ZADD', KEYS[3], ARGV[2], ARGV[3])
end
return current
