-- Raise a room's high-water mark to the seq reserved in Postgres (never lower it).
-- KEYS: 1 high-water mark   ARGV: 1 reserved seq
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1]) end
return 1
