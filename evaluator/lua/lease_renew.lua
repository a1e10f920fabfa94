-- Extends a lease if this holder still owns it, or takes it again if nobody holds it (its key
-- expired while the holder was slow, or Redis lost its data): either way the holder is alone.
-- A lease someone else took is left to them.
-- KEYS[1] lease key; ARGV[1] holder token, ARGV[2] ttl in ms. Returns 1 if held now.
local holder = redis.call("GET", KEYS[1])
if holder == ARGV[1] then
  return redis.call("PEXPIRE", KEYS[1], ARGV[2])
end
if not holder then
  redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
  return 1
end
return 0
