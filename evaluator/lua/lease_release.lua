-- Gives a lease up only if this holder still owns it (an expired one may be someone else's now).
-- KEYS[1] lease key; ARGV[1] holder token. Returns 1 if released.
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0
