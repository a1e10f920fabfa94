-- Claim due members of a schedule for a lease, so one process works on each at a time.
-- A claimed member is pushed lease seconds into the future; if its worker dies, it comes due
-- again when the lease runs out.
-- KEYS: 1 schedule (sorted set, score = due time)   ARGV: 1 now, 2 lease secs, 3 max members
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local until_ = tonumber(ARGV[1]) + tonumber(ARGV[2])
for _, member in ipairs(due) do
  redis.call('ZADD', KEYS[1], until_, member)
end
return due
