"""Who is in a room, across processes, surviving a process that dies without saying goodbye.

Each open socket is a member of the room's presence set with an expiry that its process keeps
refreshing (with the heartbeat). A user joins on their first live socket and leaves when their
last one closes, or expires because its process died; a sweep (any process, leased) notices
the expired ones.
"""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

from rooms import keys

if TYPE_CHECKING:
    import redis.asyncio as aioredis

# Three missed heartbeats (about 25 s apart) and a socket is considered gone.
PRESENCE_TTL_SECS = 75.0


class PresenceBoard:
    def __init__(self, redis: aioredis.Redis) -> None:
        source = (resources.files("rooms") / "lua" / "presence.lua").read_text()
        self._script = redis.register_script(source)

    async def _call(self, op: str, session_id: str, member: str, now: float) -> object:
        return await self._script(
            keys=[keys.presence(session_id), keys.PRESENCE],
            args=[op, now, now + PRESENCE_TTL_SECS, member, session_id],
        )

    async def join(self, session_id: str, user_id: str, connection_id: str, now: float) -> bool:
        """True if this is the user's only live socket in the room (they just arrived)."""
        return await self._call("join", session_id, f"{user_id}|{connection_id}", now) == 1

    async def refresh(self, session_id: str, user_id: str, connection_id: str, now: float) -> None:
        await self._call("refresh", session_id, f"{user_id}|{connection_id}", now)

    async def leave(self, session_id: str, user_id: str, connection_id: str, now: float) -> bool:
        """True if the user has no live socket left in the room (they just left)."""
        return await self._call("leave", session_id, f"{user_id}|{connection_id}", now) == 0

    async def sweep(self, session_id: str, now: float) -> list[str]:
        """Drops expired sockets; the users who thereby left."""
        users = await self._call("sweep", session_id, "-|-", now)
        assert isinstance(users, list)
        return [user.decode() if isinstance(user, bytes) else str(user) for user in users]
