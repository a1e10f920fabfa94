-- The heartbeat of a worker's jobs: resets the idle time of the stream entries this consumer
-- still holds, so that an entry idle past the redelivery time is one whose worker stopped
-- beating. An entry another consumer claimed meanwhile is left alone (XCLAIM would take it back).
-- KEYS[1] stream; ARGV[1] group, ARGV[2] consumer, ARGV[3..] entry ids.
-- Returns the ids still held. NOGROUP if the stream or its group is gone.
local held = {}
for i = 3, #ARGV do
  local entry = redis.call("XPENDING", KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1, ARGV[2])
  if #entry > 0 then
    redis.call("XCLAIM", KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], "JUSTID")
    held[#held + 1] = ARGV[i]
  end
end
return held
