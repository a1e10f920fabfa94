-- Rebuild a room's Redis keys from Postgres, unless another process already did.
-- KEYS: 1 seq, 2 snapshot, 3 high-water mark, 4 epoch
-- ARGV: 1 seq to continue from, 2 snapshot, 3 high-water mark (reserved in Postgres), 4 epoch
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
redis.call('SET', KEYS[3], ARGV[3])
redis.call('SET', KEYS[4], ARGV[4])
return 1
