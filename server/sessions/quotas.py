"""Limits one user cannot multiply: room commands per user (REST and WebSocket alike) and open
room sockets per user and per client address, all held in Redis so they hold across sockets,
tabs and app processes.

- **Commands**: a generic cell rate algorithm (GCRA) per user: `COMMANDS_PER_SEC` sustained,
  bursts of `COMMAND_BURST`. One key per user holds the "theoretical arrival time"; the script
  reads the server's clock (`TIME`), so every process agrees. Ten sockets or a REST loop share
  the one allowance.
- **Sockets**: a sorted set of connection ids per user and per client address, scored by when
  each slot lapses. A socket's heartbeat renews its slot; the slot of a socket whose process died
  lapses after `SOCKET_SLOT_SECS`. Each script touches one key (cluster-safe).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from server.errors import RateLimited, TooManySockets

if TYPE_CHECKING:
    import uuid

    import redis.asyncio as aioredis

# Typing sends a draft per pause, a few per second at most; bursts of pasted edits are allowed.
COMMANDS_PER_SEC = 20.0
COMMAND_BURST = 60
# A person has a few tabs and devices open; a script opening hundreds is not a person.
SOCKETS_PER_USER = 16
# Many people may share an office or campus address. Behind a proxy this counts the proxy's
# address unless FORWARDED_ALLOW_IPS names it (README, "Configuration").
SOCKETS_PER_IP = 256
# Three heartbeats (~25 s each): a socket whose process died frees its slot after this.
SOCKET_SLOT_SECS = 75

_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval, tolerance = tonumber(ARGV[1]), tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
if tat - tolerance > now then return tat - tolerance - now end
tat = tat + interval
redis.call('SET', KEYS[1], tat, 'PX', tat - now + 1000)
return 0
"""

_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and
   redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""

_RENEW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1
"""


def _address_key(ip: str) -> str:
    """Addresses are hashed so Redis never holds them in the clear."""
    return "ws:slots:ip:" + hashlib.sha256(ip.encode()).hexdigest()[:32]


def _user_key(user_id: uuid.UUID) -> str:
    return f"ws:slots:user:{user_id}"


class Quotas:
    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis
        self._gcra = redis.register_script(_GCRA)
        self._acquire = redis.register_script(_ACQUIRE)
        self._renew = redis.register_script(_RENEW)

    async def take_command(self, user_id: uuid.UUID) -> None:
        """Counts one room command of the user; RateLimited (with retry_after) past the rate."""
        interval_ms = 1000.0 / COMMANDS_PER_SEC
        wait_ms = await self._gcra(
            keys=[f"rl:commands:{user_id}"],
            args=[interval_ms, interval_ms * (COMMAND_BURST - 1)],
        )
        if int(wait_ms) > 0:
            retry_after = max(1, round(int(wait_ms) / 1000))
            raise RateLimited(
                f"More than {COMMANDS_PER_SEC:g} commands a second from this account; slow down.",
                retry_after=retry_after,
            )

    async def open_socket(self, user_id: uuid.UUID, ip: str, connection_id: str) -> None:
        """Takes a socket slot for the user and their address; TooManySockets when either is
        full (nothing is held then)."""
        ttl_ms = SOCKET_SLOT_SECS * 1000
        user_key, address_key = _user_key(user_id), _address_key(ip)
        if not await self._acquire(keys=[user_key], args=[connection_id, ttl_ms, SOCKETS_PER_USER]):
            raise TooManySockets(
                f"This account has {SOCKETS_PER_USER} room connections open; close some.",
                retry_after=SOCKET_SLOT_SECS,
            )
        if not await self._acquire(
            keys=[address_key], args=[connection_id, ttl_ms, SOCKETS_PER_IP]
        ):
            await self.redis.zrem(user_key, connection_id)
            raise TooManySockets(
                f"{SOCKETS_PER_IP} room connections are open from this address.",
                retry_after=SOCKET_SLOT_SECS,
            )

    async def renew_socket(self, user_id: uuid.UUID, ip: str, connection_id: str) -> None:
        ttl_ms = SOCKET_SLOT_SECS * 1000
        for key in (_user_key(user_id), _address_key(ip)):
            await self._renew(keys=[key], args=[connection_id, ttl_ms])

    async def close_socket(self, user_id: uuid.UUID, ip: str, connection_id: str) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zrem(_user_key(user_id), connection_id)
            pipe.zrem(_address_key(ip), connection_id)
            await pipe.execute()


__all__ = ["COMMANDS_PER_SEC", "COMMAND_BURST", "SOCKETS_PER_IP", "SOCKETS_PER_USER", "Quotas"]
