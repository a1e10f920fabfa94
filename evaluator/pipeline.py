"""Enqueueing evaluations: on every submission (REST, WebSocket or timer), on retry, and by the
watchdog when a submission's job was lost.

Each kick is remembered in Redis for `requeue_secs`; the watchdog re-enqueues only a submission
with no job kicked in that window and none running (no lease), so a crash between the room's
append and the kick costs a delay, never the evaluation.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Literal

from taskiq.kicker import AsyncKicker

from domain.events import SolutionSubmitted
from domain.phases import Phase
from evaluator.leases import evaluation_key, is_held

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    import redis.asyncio as aioredis
    from taskiq import AsyncBroker

    from domain.events import Event
    from domain.state import RoomState

log = logging.getLogger("interview_rooms.evaluator")

EVALUATE_TASK = "interview_rooms.evaluate_solution"

Status = Literal["not_submitted", "queued", "running", "failed", "evaluated", "closed"]


def kicked_key(session_id: str) -> str:
    return f"evaluation:{session_id}:kicked"


def status_of(state: RoomState, running: bool, queued: bool) -> Status:
    """Where a session's evaluation stands: its room, whether a worker holds it, whether a job
    waits for a worker (kicked and not yet taken)."""
    if state.phase == Phase.EVALUATED:
        return "evaluated"
    if state.phase == Phase.EVALUATING:
        return "running"
    if state.phase == Phase.SUBMITTED and state.failure is not None:
        # A lease here is the failed job finishing, or a retry's job not yet started.
        return "queued" if queued else "failed"
    if state.phase == Phase.SUBMITTED:
        return "running" if running else "queued"
    if state.phase in (Phase.CLARIFYING, Phase.DESIGN):
        return "not_submitted"
    return "closed"


def broker_enqueue(broker: AsyncBroker) -> Callable[[str], Awaitable[object]]:
    """Sends `evaluate_solution(session_id)` to the workers through the broker."""
    kicker: AsyncKicker[[str], None] = AsyncKicker(EVALUATE_TASK, broker, {})
    return kicker.kiq


class EvaluationQueue:
    def __init__(
        self,
        enqueue: Callable[[str], Awaitable[object]],
        redis: aioredis.Redis,
        requeue_secs: float,
    ) -> None:
        self._enqueue, self.redis, self.requeue_secs = enqueue, redis, requeue_secs

    async def kick(self, session_id: str) -> None:
        # Marked before the kick: a fast worker deletes the mark when it takes the job.
        ttl_secs = max(1, round(self.requeue_secs))
        await self.redis.set(kicked_key(session_id), time.time(), ex=ttl_secs)
        await self._enqueue(session_id)

    async def kicked_recently(self, session_id: str) -> bool:
        """A job was kicked within `requeue_secs` and no worker has taken it yet."""
        return bool(await self.redis.exists(kicked_key(session_id)))

    async def status(self, state: RoomState) -> Status:
        session_id = state.session_id
        return status_of(
            state, await self.running(session_id), await self.kicked_recently(session_id)
        )

    async def running(self, session_id: str) -> bool:
        return await is_held(self.redis, evaluation_key(session_id))

    async def on_room_append(
        self, session_id: str, before: RoomState, after: RoomState, events: list[Event], seq: int
    ) -> None:
        """Room hook: a submitted solution (already in Postgres) gets its evaluation job."""
        if not any(isinstance(event, SolutionSubmitted) for event in events):
            return
        try:
            await self.kick(session_id)
        except Exception:  # the submission stands; the watchdog enqueues it later
            log.exception("could not enqueue the evaluation of %s", session_id)
