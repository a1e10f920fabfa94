-- A room's presence: one member per open socket, "<user>|<connection>", scored by when it
-- expires unless refreshed (a socket of a process that died simply stops being refreshed).
-- KEYS: 1 room presence (sorted set), 2 schedule of rooms to sweep
-- ARGV: 1 op ("join" | "refresh" | "leave" | "sweep"), 2 now, 3 expires at, 4 member, 5 room
-- join/leave return how many live sockets the member's user has left (after the change);
-- sweep returns the users whose last socket expired.
local op, now, expires = ARGV[1], tonumber(ARGV[2]), ARGV[3]

local function live_sockets(user)
  local count = 0
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')) do
    if string.sub(m, 1, #user + 1) == user .. '|' then count = count + 1 end
  end
  return count
end

local function reschedule()
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if first[2] then redis.call('ZADD', KEYS[2], first[2], ARGV[5])
  else redis.call('ZREM', KEYS[2], ARGV[5]) end
end

if op == 'sweep' then
  local gone = {}
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)) do
    redis.call('ZREM', KEYS[1], m)
    local user = string.match(m, '^(.*)|')
    if user and live_sockets(user) == 0 then gone[user] = true end
  end
  reschedule()
  local users = {}
  for user, _ in pairs(gone) do table.insert(users, user) end
  return users
end

local user = string.match(ARGV[4], '^(.*)|')
if op == 'leave' then
  redis.call('ZREM', KEYS[1], ARGV[4])
elseif op == 'refresh' then
  redis.call('ZADD', KEYS[1], 'XX', expires, ARGV[4])
else
  redis.call('ZADD', KEYS[1], expires, ARGV[4])
end
reschedule()
return live_sockets(user)
