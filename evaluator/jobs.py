"""One evaluation job, idempotent: run it twice, or on two workers, and the result is the same.

- An evaluation already stored for the solution: the room is made to show it (from the stored
  row) and nothing is streamed again.
- Otherwise the job takes the solution's lease (waiting out a dead holder's), streams the
  feedback into the room, stores the result once, then completes the room from the stored row.
- A job that finds the room already evaluating, by the same evaluator, takes over a dead
  worker's stream: no new `evaluation.started` (which would clear the text), and the evaluator
  continues after the feedback the room shows.
- A copy of a job whose holder is alive (a second kick for the same solution, or a job claimed
  from a worker that stalled but came back and renewed its lease first) waits as a standby: it
  takes over if the holder dies, and finds the stored result if the holder finishes. It never
  acknowledges the job while the holder still runs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from domain.commands import EvaluationComplete, EvaluationFail, EvaluationStart
from domain.errors import DomainError
from domain.phases import Phase
from domain.stats import phase_durations
from evaluator.errors import EvaluationFailed, LeaseLost
from evaluator.leases import Lease, evaluation_key
from evaluator.pipeline import kicked_key
from evaluator.stream import RoomSink
from rooms.service import SYSTEM

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from domain.evaluation import StoredEvaluation
    from domain.state import RoomState
    from evaluator.base import Evaluator
    from evaluator.stats import ProgressStore
    from evaluator.store import EvaluationStore, SolutionRow
    from rooms.service import RoomService

log = logging.getLogger("interview_rooms.evaluator")

INTERNAL_FAILURE = "The evaluation stopped because of an internal error. You can retry it."
# A lease outlives its holder by at most its TTL; a standby waits this much longer.
LEASE_WAIT_MARGIN_SECS = 1.0
EVALUABLE = (Phase.SUBMITTED, Phase.EVALUATING)


@dataclass(frozen=True)
class JobConfig:
    lease_secs: float
    # The longest a live holder can keep an evaluation (all attempts and backoffs); a standby
    # gives up after this, when the holder must be stuck, not working.
    max_job_secs: float


class EvaluationRunner:
    def __init__(
        self,
        rooms: RoomService,
        redis: aioredis.Redis,
        evaluator: Evaluator,
        config: JobConfig,
        stores: tuple[EvaluationStore, ProgressStore],
    ) -> None:
        self.rooms, self.redis, self.evaluator, self.config = rooms, redis, evaluator, config
        self.store, self.progress = stores

    async def run(self, session_id: str) -> None:
        solution = await self.store.solution_of(session_id)
        if solution is None:
            log.warning("no submitted solution for session %s; nothing to evaluate", session_id)
            return
        if await self._settle_stored(session_id, solution):
            return
        lease = Lease(self.redis, evaluation_key(session_id), self.config.lease_secs)
        stood_by = not await lease.acquire()
        if stood_by and not await lease.wait_acquire(self._standby_secs):
            log.warning("session %s: its evaluation outlived every bound; leaving it", session_id)
            return
        async with lease.kept():
            if await self._settle_stored(session_id, solution):
                return
            _, state = await self.rooms.state(session_id)
            if not self._should_evaluate(session_id, state, stood_by):
                return
            stored = await self._evaluate(session_id, solution, state, lease)
        if stored is not None:
            await self.progress.refresh_progress(solution.user_id, solution.question_id)

    @property
    def _standby_secs(self) -> float:
        return self.config.max_job_secs + self.config.lease_secs + LEASE_WAIT_MARGIN_SECS

    @staticmethod
    def _should_evaluate(session_id: str, state: RoomState, stood_by: bool) -> bool:
        if state.phase not in EVALUABLE:
            log.info("session %s is %s; not evaluating", session_id, state.phase)
            return False
        if stood_by and state.phase == Phase.SUBMITTED and state.failure is not None:
            # The holder finished, with a failure: retrying is the user's call, not a copy's.
            log.info("session %s failed while this copy stood by; leaving it", session_id)
            return False
        return True

    async def _settle_stored(self, session_id: str, solution: SolutionRow) -> bool:
        """If the solution was already evaluated, make the room show it; True if so."""
        stored = await self.store.stored_evaluation(session_id)
        if stored is None:
            return False
        await self.ensure_completed(session_id, stored)
        await self.progress.refresh_progress(solution.user_id, solution.question_id)
        return True

    async def _evaluate(
        self, session_id: str, solution: SolutionRow, state: RoomState, lease: Lease
    ) -> StoredEvaluation | None:
        shown = self._taken_over(session_id, state)
        sink = RoomSink(self.rooms, session_id, self.evaluator.label, lease.renew, shown or "")
        try:
            evaluation = await self.store.evaluation_input(solution, state)
            if shown is None:
                await sink.start()
            await self.redis.delete(kicked_key(session_id))  # running now: no longer queued
            outcome = await self.evaluator.evaluate(evaluation, sink, shown=shown or "")
            await sink.close()
        except LeaseLost:
            log.warning("session %s: lease lost mid-evaluation; leaving it", session_id)
            return None
        except EvaluationFailed as exc:
            await sink.abandon()
            await self.fail(session_id, exc.reason)
            return None
        except Exception:
            log.exception("evaluating session %s failed", session_id)
            await sink.abandon()
            await self.fail(session_id, INTERNAL_FAILURE)
            return None
        spent = phase_durations(state.started_at, await self.store.phase_changes(session_id))
        stored = await self.store.store_evaluation(
            solution, session_id, outcome.verdict, outcome.feedback, self.evaluator.label, spent
        )
        await self.ensure_completed(session_id, stored)
        return stored

    def _taken_over(self, session_id: str, state: RoomState) -> str | None:
        """The feedback a dead worker's stream left in the room, if this job carries it on."""
        if state.phase != Phase.EVALUATING or state.evaluator != self.evaluator.label:
            return None
        log.warning(
            "session %s: taking its evaluation over after %d characters shown",
            session_id,
            len(state.evaluation_text),
        )
        return state.evaluation_text

    async def ensure_completed(self, session_id: str, stored: StoredEvaluation) -> None:
        """The room shows the stored evaluation: completes it, or starts and completes it."""
        for _ in range(2):  # once more if another process moved the room meanwhile
            _, state = await self.rooms.state(session_id)
            if state.phase not in EVALUABLE:
                return
            try:
                if state.phase == Phase.SUBMITTED:
                    await self.rooms.execute(session_id, EvaluationStart(stored.evaluator), SYSTEM)
                await self.rooms.execute(session_id, EvaluationComplete(stored), SYSTEM)
                return
            except DomainError as exc:
                log.info("session %s moved while completing: %s", session_id, exc.message)

    async def fail(self, session_id: str, reason: str) -> None:
        """`evaluation.failed` if the room is still evaluating; it goes back to submitted."""
        try:
            await self.rooms.execute(session_id, EvaluationFail(reason), SYSTEM)
        except DomainError as exc:
            log.info("session %s not failed (%s)", session_id, exc.message)
