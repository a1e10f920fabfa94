"""The registry that closes live sockets when their sign-in ends (server/accounts/live.py)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace

import redis.asyncio as aioredis

from server.accounts.live import LiveSockets
from server.accounts.tokens import Principal
from server.errors import AppError


class Socket:
    """An open socket as the registry sees it: a principal, and what it was told."""

    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        self.ended: list[str] = []
        self.rechecked = 0

    async def end(self, error: AppError) -> None:
        self.ended.append(error.code)

    async def recheck(self) -> None:
        self.rechecked += 1


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def principal(expires_at: int, user: uuid.UUID | None = None) -> Principal:
    return Principal(user or uuid.uuid4(), "candidate", uuid.uuid4(), expires_at=expires_at)


async def settled() -> None:
    for _ in range(3):
        await asyncio.sleep(0)


def registry(clock: Clock) -> LiveSockets:
    # Never started: these tests drive `expire` and `handle` themselves; no Redis call is made.
    return LiveSockets(aioredis.Redis(), clock=clock)


async def test_a_socket_closes_when_its_token_expires_unless_renewed() -> None:
    clock = Clock()
    live = registry(clock)
    lapsing, renewed, later = (Socket(principal(1_010)) for _ in range(3))
    later.principal = principal(1_100)
    for socket in (lapsing, renewed, later):
        live.add(socket)
    previous = renewed.principal
    renewed.principal = replace(previous, sid=uuid.uuid4(), expires_at=1_900)
    live.renewed(renewed, previous)

    clock.now = 1_009.9
    live.expire()
    await settled()
    assert lapsing.ended == []

    clock.now = 1_010
    live.expire()
    await settled()
    assert (lapsing.ended, renewed.ended, later.ended) == (["token_expired"], [], [])
    assert len(live) == 2


async def test_a_closed_socket_is_not_ended_when_its_old_expiry_comes_due() -> None:
    clock = Clock()
    live = registry(clock)
    gone = Socket(principal(1_005))
    live.add(gone)
    live.discard(gone)
    clock.now = 2_000
    live.expire()
    await settled()
    assert gone.ended == []


async def test_announcements_end_or_recheck_exactly_the_sockets_they_name() -> None:
    live = registry(Clock())
    user = uuid.uuid4()
    mine_a, mine_b, other = (
        Socket(principal(0, user)),
        Socket(principal(0, user)),
        Socket(principal(0)),
    )
    for socket in (mine_a, mine_b, other):
        live.add(socket)

    live.handle(f"revoked {mine_a.principal.sid}")
    live.handle(f"account {user}")
    live.handle("revoked not-a-uuid")
    live.handle("account")
    await settled()
    assert (mine_a.ended, mine_b.ended, other.ended) == (["token_revoked"], [], [])
    assert (mine_a.rechecked, mine_b.rechecked, other.rechecked) == (0, 1, 0)
