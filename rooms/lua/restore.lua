-- Rebuild a room's Redis keys from a Postgres snapshot, unless another process already did.
-- KEYS: 1 seq, 2 snapshot   ARGV: 1 seq of the snapshot, 2 snapshot
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
return 1
