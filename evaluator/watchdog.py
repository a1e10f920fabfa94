"""The watchdog: no submission waits forever for a job, no session stays "evaluating" forever.

It runs in every worker process, but only the holder of a Redis lease acts, so N workers make
one sweep per interval. Each sweep:
- re-enqueues submissions with no evaluation, no job kicked within `requeue_secs` and none
  running (the app died between the room's append and the kick, or the job was lost);
- settles evaluations no worker has held for `stuck_secs` (the broker's redelivery had its
  chance): completed from the stored row if there is one, else failed so the user can retry.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import TYPE_CHECKING

from domain.phases import Phase
from evaluator.leases import Lease

if TYPE_CHECKING:
    from collections.abc import Callable

    import redis.asyncio as aioredis

    from evaluator.jobs import EvaluationRunner
    from evaluator.pipeline import EvaluationQueue
    from rooms.service import RoomService

log = logging.getLogger("interview_rooms.evaluator")

LEADER_KEY = "evaluations:watchdog"
# First time each evaluating session was seen with no worker holding it (hash: id -> time).
ORPHANS_KEY = "evaluations:orphans"
# Sessions looked at per sweep; the rest wait for the next sweep.
SWEEP_BATCH = 200
STUCK_REASON = (
    "The evaluation stopped: the worker running it went away and it was not resumed in time. "
    "You can retry it."
)

SELECT_UNQUEUED = """
SELECT i.id FROM interview_sessions i
JOIN solutions s ON s.session_id = i.id
LEFT JOIN evaluations e ON e.solution_id = s.id
WHERE i.status = 'submitted' AND e.id IS NULL
    AND s.submitted_at < now() - make_interval(secs => $1)
ORDER BY s.submitted_at LIMIT $2
"""
SELECT_EVALUATING = """
SELECT id FROM interview_sessions WHERE status = 'evaluating' ORDER BY updated_at LIMIT $1
"""


class Watchdog:
    def __init__(
        self,
        rooms: RoomService,
        redis: aioredis.Redis,
        queue: EvaluationQueue,
        runner: EvaluationRunner,
        interval_secs: float,
        stuck_secs: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.rooms, self.redis, self.queue, self.runner = rooms, redis, queue, runner
        self.interval_secs, self.stuck_secs, self._clock = interval_secs, stuck_secs, clock
        # Held for three sweeps: a leader that dies is replaced within about that long.
        self.leader = Lease(redis, LEADER_KEY, interval_secs * 3)

    async def run(self) -> None:
        while True:
            try:
                if await self.leader.acquire_or_renew():
                    await self.sweep()
            except Exception:
                log.exception("evaluation watchdog sweep failed; will retry")
            await asyncio.sleep(self.interval_secs * random.uniform(0.8, 1.2))  # noqa: S311

    async def sweep(self) -> None:
        await self.requeue_lost()
        await self.settle_stuck()

    async def requeue_lost(self) -> list[str]:
        async with self.runner.store.acquire() as conn:
            rows = await conn.fetch(SELECT_UNQUEUED, self.queue.requeue_secs, SWEEP_BATCH)
        requeued = []
        for row in rows:
            session_id = str(row["id"])
            try:
                if await self._requeue_if_lost(session_id):
                    requeued.append(session_id)
            except Exception:  # one broken room must not stop the sweep for the others
                log.exception("watchdog: could not check session %s", session_id)
        return requeued

    async def _requeue_if_lost(self, session_id: str) -> bool:
        if await self.queue.kicked_recently(session_id) or await self.queue.running(session_id):
            return False
        _, state = await self.rooms.state(session_id)
        if state.phase != Phase.SUBMITTED or state.failure is not None:
            return False
        log.warning("re-enqueueing the evaluation of %s (its job was lost)", session_id)
        await self.queue.kick(session_id)
        return True

    async def settle_stuck(self) -> list[str]:
        async with self.runner.store.acquire() as conn:
            rows = await conn.fetch(SELECT_EVALUATING, SWEEP_BATCH)
        evaluating = [str(row["id"]) for row in rows]
        if len(evaluating) < SWEEP_BATCH:  # the whole list: marks of finished ones can go
            await self._forget_orphans(set(evaluating))
        settled = []
        for session_id in evaluating:
            try:
                if await self._settle_if_stuck(session_id):
                    settled.append(session_id)
            except Exception:  # one broken room must not stop the sweep for the others
                log.exception("watchdog: could not check session %s", session_id)
        return settled

    async def _settle_if_stuck(self, session_id: str) -> bool:
        if await self.queue.running(session_id):
            await self.redis.hdel(ORPHANS_KEY, session_id)
            return False
        if await self._orphaned_for(session_id) < self.stuck_secs:
            return False
        await self._settle(session_id)
        return True

    async def _orphaned_for(self, session_id: str) -> float:
        now = self._clock()
        await self.redis.hsetnx(ORPHANS_KEY, session_id, now)
        since = await self.redis.hget(ORPHANS_KEY, session_id)
        return now - float(since or now)

    async def _forget_orphans(self, evaluating: set[str]) -> None:
        raw = await self.redis.hkeys(ORPHANS_KEY)
        known = {key.decode() if isinstance(key, bytes) else key for key in raw}
        gone = known - evaluating
        if gone:
            await self.redis.hdel(ORPHANS_KEY, *gone)

    async def _settle(self, session_id: str) -> None:
        await self.redis.hdel(ORPHANS_KEY, session_id)
        _, state = await self.rooms.state(session_id)
        if state.phase != Phase.EVALUATING:
            return
        stored = await self.runner.store.stored_evaluation(session_id)
        if stored is not None:
            await self.runner.ensure_completed(session_id, stored)
            return
        log.warning("failing the evaluation of %s: no worker has held it", session_id)
        await self.runner.fail(session_id, STUCK_REASON)
