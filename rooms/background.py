"""The two background duties every app process shares: firing timers and archiving rooms.

Both work off a Redis schedule (a sorted set) and claim rooms with a lease, so with N processes
each room is handled by one of them at a time, and a room a dead process had claimed comes back
when its lease runs out. Timer effects are exactly-once because the domain ignores a timer that
is no longer due, and the append is compare-and-set.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from typing import TYPE_CHECKING

from domain.commands import Leave
from domain.errors import DomainError
from domain.phases import TERMINAL
from domain.timers import due_timers, next_due_at
from rooms import archive, keys
from rooms.errors import RoomNotFound
from rooms.service import SYSTEM

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from domain.state import RoomState
    from rooms.frames import StoredEvent
    from rooms.presence import PresenceBoard
    from rooms.service import RoomService
    from rooms.store import RoomStore

log = logging.getLogger("interview_rooms.rooms")

# Timers fire within this of their due time; the warning and deadline are seconds apart.
TIMER_POLL_SECS = 0.2
# A claimed room is someone's for this long; a crash delays its timers by at most this.
TIMER_LEASE_SECS = 5.0
# An edited room is archived at most this often: coalesced, not per keystroke. Phase changes and
# submissions do not wait for it (they are archived before they are acknowledged).
ARCHIVE_DELAY_SECS = 5.0
ARCHIVE_POLL_SECS = 0.5
ARCHIVE_LEASE_SECS = 30.0
# Small batches keep each write short, so the event loop is never held for long.
ARCHIVE_BATCH_ROOMS = 50
# Presence expiries are tens of seconds; checking every few seconds is plenty.
PRESENCE_POLL_SECS = 2.0
# How often each process checks that Redis still holds its data (the ALIVE key).
LOSS_POLL_SECS = 2.0
# A process re-arming after a loss holds the job this long (another takes over if it dies).
REARM_LEASE_SECS = 60
# A finished room's Redis keys stay this long for late readers; replay then reads Postgres.
FINISHED_ROOM_TTL_SECS = 24 * 3600


class Archiver:
    def __init__(
        self,
        service: RoomService,
        store: RoomStore,
        pool: archive.PoolSource,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.service, self.store, self._pool, self._clock = service, store, pool, clock
        self._lock = asyncio.Lock()
        # Set to stop between batches: cancelling a batch mid-write can wedge its Postgres
        # connection (asyncpg never finishes a cancelled executemany).
        self.stopping = asyncio.Event()

    async def flush_state(self, session_id: str, seq: int, state: RoomState) -> None:
        """Archives one room up to `seq`, whose state the caller holds."""
        await self._write([(session_id, seq, state)])

    async def ahead(
        self, session_id: str, seq: int, new: list[StoredEvent], after: RoomState
    ) -> None:
        """Archives the room as it will be once `new` (the events after `seq`) is appended,
        before it is: a milestone is durable before anyone sees it."""
        since = (await self.store.archived_seqs([session_id]))[0]
        tail = (await self.store.read_many([(session_id, since, seq)]))[0]
        await archive.write(self._pool(), [(session_id, new[-1].seq, after, tail + new)])

    async def undo(
        self, session_id: str, new: list[StoredEvent], true_seq: int, true_state: RoomState
    ) -> None:
        """`new` was archived ahead but never appended: take it back, archive the truth."""
        await archive.undo(self._pool(), session_id, new, new[-1].seq, true_seq, true_state)
        await self._write([(session_id, true_seq, true_state)])

    async def settled(self, session_id: str, seq: int) -> None:
        """The room is archived up to `seq` (written ahead, now appended)."""
        await self.store.mark_archived_many([(session_id, seq)], self._clock())

    async def flush(self, session_ids: list[str]) -> None:
        """Archives these rooms up to their current seq."""
        current = await self.store.current_seqs(session_ids)
        rooms = []
        for session_id, seq in zip(session_ids, current, strict=True):
            cached = self.service.peek(session_id)
            if cached is not None and cached[0] == seq:  # this process is up to date: no I/O
                rooms.append((session_id, *cached))
                continue
            try:
                rooms.append((session_id, *await self.service.state(session_id)))
            except RoomNotFound:
                await self.store.redis.zrem(keys.DIRTY, session_id)
        await self._write(rooms)

    async def _write(self, rooms: list[tuple[str, int, RoomState]]) -> None:
        if not rooms:
            return
        since = await self.store.archived_seqs([session_id for session_id, _, _ in rooms])
        tails = await self.store.read_many(
            [
                (session_id, after, seq)
                for (session_id, seq, _), after in zip(rooms, since, strict=True)
            ]
        )
        batch = [
            (sid, seq, state, tail) for (sid, seq, state), tail in zip(rooms, tails, strict=True)
        ]
        try:
            await archive.write(self._pool(), batch)
        except Exception:
            if len(batch) == 1:
                raise
            # One bad room must not hold the others back: write them one by one.
            log.exception("archiving %d rooms together failed; retrying one by one", len(batch))
            for room in rooms:
                try:
                    await self._write([room])
                except Exception:
                    log.exception("archiving room %s failed; it stays dirty", room[0])
            return
        await self.store.mark_archived_many([(sid, seq) for sid, seq, _ in rooms], self._clock())
        finished = [sid for sid, _, state in rooms if state.phase in TERMINAL]
        for session_id in finished:
            await self.store.expire_room(session_id, FINISHED_ROOM_TTL_SECS)

    async def run(self) -> None:
        while not self.stopping.is_set():
            claimed: list[str] = []
            try:
                claimed = await self.store.claim(
                    keys.DIRTY,
                    self._clock() - ARCHIVE_DELAY_SECS,
                    ARCHIVE_LEASE_SECS,
                    ARCHIVE_BATCH_ROOMS,
                )
                if claimed:
                    await self.flush(claimed)
            except Exception:
                log.exception("archiving rooms failed; will retry")
            if len(claimed) < ARCHIVE_BATCH_ROOMS:  # else more are waiting: go on at once
                pause = ARCHIVE_POLL_SECS * random.uniform(0.8, 1.2)  # noqa: S311
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), pause)
            else:
                await asyncio.sleep(0)


class TimerRunner:
    def __init__(
        self, service: RoomService, store: RoomStore, clock: Callable[[], float] = time.time
    ) -> None:
        self.service, self.store, self._clock = service, store, clock

    async def fire(self, session_id: str) -> None:
        """Feeds the room every timer command due now, then reschedules it."""
        seq, state = await self.service.state(session_id)
        for command in due_timers(state, self._clock()):
            with contextlib.suppress(DomainError):
                outcome = await self.service.execute(session_id, command, SYSTEM)
                seq, state = (outcome.last_seq, outcome.state) if outcome.events else (seq, state)
        seq, state = await self.service.state(session_id)
        await self.store.settle(keys.TIMERS, session_id, seq, next_due_at(state))

    async def run(self) -> None:
        while True:
            try:
                claimed = await self.store.claim(keys.TIMERS, self._clock(), TIMER_LEASE_SECS, 100)
                for session_id in claimed:
                    try:
                        await self.fire(session_id)
                    except RoomNotFound:
                        await self.store.redis.zrem(keys.TIMERS, session_id)
            except Exception:
                log.exception("firing timers failed; will retry")
            await asyncio.sleep(TIMER_POLL_SECS * random.uniform(0.8, 1.2))  # noqa: S311


class RedisLossWatch:
    """Notices that Redis lost its data and re-arms, from Postgres, what must not be lost with
    it: every live room (rebuilt in a new epoch, its timers scheduled again) and whatever the
    callers registered (the server's revocations and role stamps). One process re-arms; the
    others wait for the ALIVE key it sets when done."""

    def __init__(
        self,
        service: RoomService,
        store: RoomStore,
        pool: archive.PoolSource,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.service, self.store, self._pool, self._clock = service, store, pool, clock
        self._rearm: list[Callable[[], Awaitable[None]]] = []

    def on_loss(self, rearm: Callable[[], Awaitable[None]]) -> None:
        self._rearm.append(rearm)

    async def check(self) -> bool:
        """Re-arms if Redis lost its data and no one else is at it; True if it did."""
        redis = self.store.redis
        if await redis.exists(keys.ALIVE):
            return False
        if not await redis.set(keys.REARMING, b"1", nx=True, ex=REARM_LEASE_SECS):
            return False
        # A new Redis (a first start) looks the same as one that lost its data: which it was
        # shows in what there is to re-arm.
        log.info("Redis holds no %s key: re-arming rooms and sign-ins from Postgres", keys.ALIVE)
        for rearm in self._rearm:
            await rearm()
        rebuilt = 0
        for session_id in await archive.live_sessions(self._pool()):
            try:
                await self.service.state(session_id)  # rebuilt on load, timers scheduled
                rebuilt += 1
            except Exception:
                log.exception("re-arming room %s failed", session_id)
        await redis.set(keys.ALIVE, b"1")
        await redis.delete(keys.REARMING)
        (log.warning if rebuilt else log.info)("re-armed %d live rooms from Postgres", rebuilt)
        return True

    async def run(self) -> None:
        while True:
            try:
                await self.check()
            except Exception:
                log.exception("checking Redis for lost data failed; will retry")
            await asyncio.sleep(LOSS_POLL_SECS * random.uniform(0.8, 1.2))  # noqa: S311


class PresenceSweeper:
    """Turns sockets whose process died (presence not refreshed) into `presence.left`."""

    def __init__(
        self,
        service: RoomService,
        store: RoomStore,
        board: PresenceBoard,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.service, self.store, self.board, self._clock = service, store, board, clock

    async def sweep(self, session_id: str) -> None:
        for user_id in await self.board.sweep(session_id, self._clock()):
            with contextlib.suppress(DomainError):
                await self.service.execute(session_id, Leave(user_id=user_id), SYSTEM)

    async def run(self) -> None:
        while True:
            try:
                claimed = await self.store.claim(
                    keys.PRESENCE, self._clock(), TIMER_LEASE_SECS, 100
                )
                for session_id in claimed:
                    await self.sweep(session_id)
            except Exception:
                log.exception("sweeping presence failed; will retry")
            await asyncio.sleep(PRESENCE_POLL_SECS * random.uniform(0.8, 1.2))  # noqa: S311
