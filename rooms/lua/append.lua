-- Append a command's events to a room's log, atomically and only at the expected position.
-- KEYS: 1 seq, 2 log stream, 3 command-dedupe key, 4 snapshot, 5 dirty set (rooms to archive),
--       6 high-water mark (the seq reserved in Postgres)
-- ARGV: 1 expected seq, 2 dedupe ttl secs ("0" = no client command id), 3 snapshot or "",
--       4 now (dirty score), 5 session id, 6 event count, 7 "1" to keep within the high-water
--       mark, then (audience, frame) per event
-- No seq past the high-water mark is ever written: the caller reserves more in Postgres first,
-- so a room rebuilt after Redis lost it can continue past every seq anyone was told.
-- Each event, once in the stream, is also published on the room's channel for live fan-out
-- (at most once; the stream stays the source of truth for anyone who missed it).
-- Returns {"ok", last seq} | {"conflict", current seq} | {"duplicate", "first:last"}
--         | {"reserve", current seq}
local has_command = ARGV[2] ~= '0'
if has_command then
  local done = redis.call('GET', KEYS[3])
  if done then return {'duplicate', done} end
end
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current ~= tonumber(ARGV[1]) then return {'conflict', tostring(current)} end
if ARGV[7] == '1' and current + tonumber(ARGV[6]) > tonumber(redis.call('GET', KEYS[6]) or '0') then
  return {'reserve', tostring(current)}
end
local seq = current
local channel = '{room:' .. ARGV[5] .. '}:events'
for i = 0, tonumber(ARGV[6]) - 1 do
  seq = seq + 1
  local audience, frame = ARGV[8 + 2 * i], ARGV[9 + 2 * i]
  redis.call('XADD', KEYS[2], seq .. '-0', 'a', audience, 'f', frame)
  redis.call('PUBLISH', channel, seq .. '|' .. audience .. '|' .. frame)
end
redis.call('SET', KEYS[1], seq)
if has_command then
  redis.call('SET', KEYS[3], (current + 1) .. ':' .. seq, 'EX', tonumber(ARGV[2]))
end
if ARGV[3] ~= '' then redis.call('SET', KEYS[4], ARGV[3]) end
redis.call('ZADD', KEYS[5], 'NX', ARGV[4], ARGV[5])
return {'ok', tostring(seq)}
