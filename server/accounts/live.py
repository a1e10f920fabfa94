"""Live sockets follow their sign-in: a revoked session, an expired token or a changed role
reaches every open socket, not only the next handshake.

Each app process keeps one `LiveSockets` registry of its open sockets, keyed by auth session
(`sid`) and by user, and listens on one Redis channel on which every process announces:

- `revoked <sid>…`: logout, logout-all, a replayed refresh token. Those sessions' sockets close
  with 4401 `token_revoked`; their client's refresh fails and it signs out.
- `account <user id>`: the user's role changed, or an invite that let them in was revoked. Each
  of their sockets re-checks itself (`Live.recheck`): a token whose role is no longer the
  account's closes with 4401 `token_stale` (the client refreshes and reconnects with the new
  role), a room the user may no longer see closes with 4404.

A socket whose token is not renewed on the live connection (the `auth` frame) closes with 4401
`token_expired` when the token expires. Pub/sub delivers at most once, so every `SWEEP_SECS`
the registry also reads, in one MGET, the revocation key of every session and the role stamp of
every user it holds, and closes what a lost message would have closed.

A role change also leaves a *role stamp* in Redis for as long as an access token lives:
`authenticate_token` refuses a token whose role differs from the stamp (`token_stale`), so a
demoted interviewer loses staff access over HTTP at once, and a promoted one gets the new role
with one refresh instead of a sign-out.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from domain.tables import User, UserAuthSession
from rooms.keys import ALIVE
from server.errors import AppError, TokenExpired, TokenRevoked, TokenStale

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    import redis.asyncio as aioredis

    from server.accounts.tokens import Principal
    from server.settings import Settings

log = logging.getLogger("interview_rooms.live")

CHANNEL = "auth:events"
REVOKED_SID_KEY = "auth:revoked-sid:{sid}"
# A revoked session's key outlives its last access token, clock skew between processes included.
REVOKED_SID_MARGIN_SECS = 60
ROLE_STAMP_KEY = "auth:role:{user_id}"
# How often the registry reads what pub/sub may have dropped; also the longest a socket can
# outlive its session when Redis lost the announcement.
SWEEP_SECS = 10.0
TICK_SECS = 0.5


class Live(Protocol):
    """What the registry needs of an open socket (`server.sessions.socket.RoomConnection`)."""

    principal: Principal

    async def end(self, error: AppError) -> None:
        """Sends the error frame and closes the socket with the error's 4xxx code."""

    async def recheck(self) -> None:
        """Re-reads the account and the room access; ends the socket if either changed."""


async def revoke_sids(redis: aioredis.Redis, settings: Settings, sids: list[uuid.UUID]) -> None:
    """Access tokens of these sessions stop working; each key lives as long as such a token."""
    if not sids:
        return
    ttl = settings.access_token_ttl_secs + REVOKED_SID_MARGIN_SECS
    async with redis.pipeline(transaction=False) as pipe:
        for sid in sids:
            pipe.set(REVOKED_SID_KEY.format(sid=sid), b"1", ex=ttl)
        pipe.publish(CHANNEL, "revoked " + " ".join(str(sid) for sid in sids))
        await pipe.execute()


async def announce_account_changed(redis: aioredis.Redis, user_ids: list[uuid.UUID]) -> None:
    if user_ids:
        await redis.publish(CHANNEL, "account " + " ".join(str(uid) for uid in user_ids))


async def record_role(
    redis: aioredis.Redis, settings: Settings, user_id: uuid.UUID, role: str
) -> None:
    """The account's role changed: tokens naming another role stop working, sockets re-check."""
    ttl = settings.access_token_ttl_secs + REVOKED_SID_MARGIN_SECS
    await redis.set(ROLE_STAMP_KEY.format(user_id=user_id), role, ex=ttl)
    await announce_account_changed(redis, [user_id])


async def check_principal(redis: aioredis.Redis, principal: Principal) -> None:
    """Raises if the token's session is revoked or its role is not the account's (one trip).

    If Redis lost its data (no ALIVE key yet) the revocations it held are gone until they are
    re-armed, so the answer comes from Postgres instead: a revoked session stays revoked.
    """
    async with redis.pipeline(transaction=False) as pipe:
        pipe.exists(REVOKED_SID_KEY.format(sid=principal.sid))
        pipe.get(ROLE_STAMP_KEY.format(user_id=principal.user_id))
        pipe.exists(ALIVE)
        revoked, stamp, alive = await pipe.execute()
    if not alive:
        await _check_in_postgres(principal)
        return
    if revoked:
        raise TokenRevoked("The session of this token has ended; sign in again.")
    if stamp is not None and stamp.decode() != principal.role:
        raise TokenStale("Your role changed since this token was issued; refresh it.")


async def _check_in_postgres(principal: Principal) -> None:
    ended = await UserAuthSession.exists().where(
        (UserAuthSession.family_id == principal.sid) & UserAuthSession.revoked_at.is_not_null()
    )
    if ended:
        raise TokenRevoked("The session of this token has ended; sign in again.")
    row = await User.select(User.role).where(User.id == principal.user_id).first()
    if row is not None and row["role"] != principal.role:
        raise TokenStale("Your role changed since this token was issued; refresh it.")


async def rearm_from_postgres(redis: aioredis.Redis, settings: Settings) -> None:
    """After Redis lost its data: the revocations and role stamps of the last token lifetime,
    written again from Postgres (rooms.background.RedisLossWatch calls this)."""
    window = settings.access_token_ttl_secs + REVOKED_SID_MARGIN_SECS
    since = datetime.now(UTC) - timedelta(seconds=window)
    revoked = await UserAuthSession.select(UserAuthSession.family_id).where(
        UserAuthSession.revoked_at > since
    )
    changed = await User.select(User.id, User.role).where(User.updated_at > since)
    async with redis.pipeline(transaction=False) as pipe:
        for row in revoked:
            pipe.set(REVOKED_SID_KEY.format(sid=row["family_id"]), b"1", ex=window)
        for row in changed:
            pipe.set(ROLE_STAMP_KEY.format(user_id=row["id"]), row["role"], ex=window)
        await pipe.execute()
    (log.warning if revoked or changed else log.info)(
        "re-armed %d revoked sessions and %d role stamps from Postgres", len(revoked), len(changed)
    )


class LiveSockets:
    """This process's open sockets by session and user, closed when their sign-in ends."""

    def __init__(self, redis: aioredis.Redis, clock: Callable[[], float] = time.time) -> None:
        self.redis, self._clock = redis, clock
        self._by_sid: dict[uuid.UUID, set[Live]] = {}
        self._by_user: dict[uuid.UUID, set[Live]] = {}
        self._expiry: list[tuple[int, int, Live]] = []
        self._order = itertools.count()
        self._tasks: list[asyncio.Task[None]] = []
        self._closing: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return sum(len(group) for group in self._by_user.values())

    def add(self, socket: Live) -> None:
        principal = socket.principal
        self._by_sid.setdefault(principal.sid, set()).add(socket)
        self._by_user.setdefault(principal.user_id, set()).add(socket)
        if principal.expires_at:
            heapq.heappush(self._expiry, (principal.expires_at, next(self._order), socket))

    def discard(self, socket: Live) -> None:
        """Forgets the socket (its expiry entry is dropped when it comes due)."""
        principal = socket.principal
        for index, key in ((self._by_sid, principal.sid), (self._by_user, principal.user_id)):
            group = index.get(key)
            if group is not None:
                group.discard(socket)
                if not group:
                    del index[key]

    def renewed(self, socket: Live, previous: Principal) -> None:
        """The socket presented a fresh token (same user): index it under the new session."""
        group = self._by_sid.get(previous.sid)
        if group is not None:
            group.discard(socket)
            if not group:
                del self._by_sid[previous.sid]
        self.add(socket)

    async def start(self) -> None:
        pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(CHANNEL)
        self._tasks = [
            asyncio.create_task(self._listen(pubsub), name="live-sockets-listener"),
            asyncio.create_task(self._tick(), name="live-sockets-expiry"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _listen(self, pubsub: aioredis.client.PubSub) -> None:
        try:
            while True:
                try:
                    message = await pubsub.get_message(timeout=1.0)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("auth event listener failed; retrying")
                    await asyncio.sleep(0.5)
                    continue
                if message is not None and message["type"] == "message":
                    self.handle(message["data"].decode())
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()  # type: ignore[no-untyped-call]  # unannotated in redis-py

    def handle(self, message: str) -> None:
        kind, _, rest = message.partition(" ")
        try:
            ids = [uuid.UUID(item) for item in rest.split()]
        except ValueError:
            log.warning("ignored a malformed auth event %r", message[:80])
            return
        if kind == "revoked":
            for sid in ids:
                revoked = TokenRevoked("Your sign-in has ended; sign in again.")
                self._end_all(self._by_sid.get(sid, ()), revoked)
        elif kind == "account":
            for user_id in ids:
                for socket in list(self._by_user.get(user_id, ())):
                    self._spawn(socket.recheck())

    def _end_all(self, sockets: set[Live] | tuple[()], error: AppError) -> None:
        for socket in list(sockets):
            self.discard(socket)
            self._spawn(socket.end(error))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _tick(self) -> None:
        next_sweep = self._clock() + SWEEP_SECS
        while True:
            await asyncio.sleep(TICK_SECS)
            self.expire()
            if self._clock() >= next_sweep:
                next_sweep = self._clock() + SWEEP_SECS
                try:
                    await self.sweep()
                except Exception:
                    log.exception("live socket sweep failed; retrying")

    def expire(self) -> None:
        """Ends every socket whose token has expired and was not renewed."""
        now = self._clock()
        while self._expiry and self._expiry[0][0] <= now:
            expires_at, _, socket = heapq.heappop(self._expiry)
            held = self._by_user.get(socket.principal.user_id, set())
            if socket in held and socket.principal.expires_at == expires_at:
                self.discard(socket)
                self._spawn(socket.end(TokenExpired("The access token expired; renew it.")))

    async def sweep(self) -> None:
        """What pub/sub may have dropped: revoked sessions and changed roles, in one MGET."""
        sids, users = list(self._by_sid), list(self._by_user)
        if not sids:
            return
        keys = [REVOKED_SID_KEY.format(sid=sid) for sid in sids]
        keys += [ROLE_STAMP_KEY.format(user_id=user_id) for user_id in users]
        values = await self.redis.mget(keys)
        revoked, stamps = values[: len(sids)], values[len(sids) :]
        for sid, flag in zip(sids, revoked, strict=True):
            if flag is not None:
                self._end_all(self._by_sid.get(sid, ()), TokenRevoked("Your sign-in has ended."))
        for user_id, stamp in zip(users, stamps, strict=True):
            if stamp is None:
                continue
            role = stamp.decode() if isinstance(stamp, bytes) else str(stamp)
            stale = [s for s in self._by_user.get(user_id, ()) if s.principal.role != role]
            self._end_all(set(stale), TokenStale("Your role changed; refresh the token."))


__all__ = [
    "CHANNEL",
    "REVOKED_SID_KEY",
    "Live",
    "LiveSockets",
    "announce_account_changed",
    "check_principal",
    "record_role",
    "revoke_sids",
]
