-- Extends a lease only if this holder still owns it.
-- KEYS[1] lease key; ARGV[1] holder token, ARGV[2] ttl in ms. Returns 1 if renewed.
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("PEXPIRE", KEYS[1], ARGV[2])
end
return 0
