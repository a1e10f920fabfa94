"""The room engine one process runs: store, service, fan-out hub, timers and archiver, wired.

App processes run all of it; a worker process uses the service (to stream an evaluation into
a room) and the archiver, without the hub or the background loops.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from rooms import archive
from rooms.background import Archiver, PresenceSweeper, RedisLossWatch, TimerRunner
from rooms.hub import Hub
from rooms.presence import PresenceBoard
from rooms.service import RoomService
from rooms.store import RoomStore

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from rooms.matching import ClarificationMatcher


# How long a stopping archiver may take to finish its batch before it is cancelled anyway.
ARCHIVER_STOP_SECS = 2.0


class RoomEngine:
    def __init__(
        self,
        redis: aioredis.Redis,
        pool: archive.PoolSource,
        matcher: ClarificationMatcher | None = None,
    ) -> None:
        """`pool` returns the started Postgres pool of whoever runs the engine (app or worker);
        `matcher` answers clarifying questions (without one, the domain's word matcher does)."""
        self.store = RoomStore(redis)
        self.rooms = RoomService(
            self.store,
            archive.RulesCache(pool),
            archive.SnapshotLoader(pool),
            matcher=matcher,
            ledger=archive.SeqLedger(pool),
        )
        self.archiver = Archiver(self.rooms, self.store, pool)
        self.rooms.durable = self.archiver
        self.timers = TimerRunner(self.rooms, self.store)
        self.hub = Hub(redis, self.store)
        self.presence = PresenceBoard(redis)
        self.sweeper = PresenceSweeper(self.rooms, self.store, self.presence)
        self.loss_watch = RedisLossWatch(self.rooms, self.store, pool)
        self._tasks: list[asyncio.Task[None]] = []

    async def start_background(self) -> None:
        """Fan-out, timers, archiving and presence: what an app process runs."""
        await self.hub.start()
        self._tasks = [
            asyncio.create_task(self.loss_watch.run(), name="redis-loss-watch"),
            asyncio.create_task(self.timers.run(), name="room-timers"),
            asyncio.create_task(self.archiver.run(), name="room-archiver"),
            asyncio.create_task(self.sweeper.run(), name="room-presence"),
        ]

    async def stop_background(self) -> None:
        # The archiver finishes the batch it is writing (cancelling one mid-write can wedge its
        # Postgres connection); everything else is cancelled.
        self.archiver.stopping.set()
        archiving = [task for task in self._tasks if task.get_name() == "room-archiver"]
        if archiving:
            await asyncio.wait(archiving, timeout=ARCHIVER_STOP_SECS)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        await self.hub.stop()
