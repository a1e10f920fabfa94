"""A session's evaluation over HTTP: its result or progress, and retrying a failed one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.commands import Role
from domain.phases import Phase
from server.errors import Conflict, Forbidden, NotFound
from server.evaluations.schemas import EvaluationProgress
from server.sessions.service import STAFF_ROLES, Viewer

if TYPE_CHECKING:
    import uuid

    from domain.evaluation import StoredEvaluation
    from domain.state import RoomState
    from server.context import AppContext

# Refusals of a retry, by the evaluation's status: (code, message).
RETRY_REFUSED: dict[str, tuple[str, str]] = {
    "evaluated": ("evaluation_done", "This solution has been evaluated already."),
    "running": ("evaluation_running", "The evaluation is running."),
    "not_submitted": ("not_submitted", "Submit the solution first."),
    "closed": ("session_closed", "This session ended without a submitted solution."),
}


def _progress(state: RoomState, status: str, retry_allowed: bool) -> EvaluationProgress:
    return EvaluationProgress(
        status="failed" if status == "failed" else "running" if status == "running" else "queued",
        evaluator=state.evaluator,
        feedback_so_far=state.evaluation_text,
        failure=state.failure if status == "failed" else None,
        retry_allowed=retry_allowed,
    )


async def result(
    ctx: AppContext, viewer: Viewer, session_id: uuid.UUID
) -> StoredEvaluation | EvaluationProgress:
    """The stored evaluation, or its progress; 404 before the solution is submitted."""
    await ctx.sessions.access(viewer, session_id)
    sid = str(session_id)
    _, state = await ctx.rooms.state(sid)
    if state.phase not in (Phase.SUBMITTED, Phase.EVALUATING, Phase.EVALUATED):
        raise NotFound("This session has no evaluation yet.", code="evaluation_not_found")
    stored = await ctx.evaluation_store.stored_evaluation(
        sid
    )  # the row is the truth, even a moment early
    if stored is not None:
        return stored
    status = await ctx.evaluations.status(state)
    return _progress(state, status, status == "failed")


async def retry(ctx: AppContext, viewer: Viewer, session_id: uuid.UUID) -> EvaluationProgress:
    """Enqueues the evaluation again: after a failure, or when no job is queued or running."""
    access = await ctx.sessions.access(viewer, session_id)
    if access.room_role != Role.CANDIDATE and viewer.role not in STAFF_ROLES:
        raise Forbidden("Only the candidate or staff can retry an evaluation.", code="forbidden")
    sid = str(session_id)
    _, state = await ctx.rooms.state(sid)
    status = await ctx.evaluations.status(state)
    if status in RETRY_REFUSED:
        code, message = RETRY_REFUSED[status]
        raise Conflict(message, code=code, status=status)
    if status == "queued" and await ctx.evaluations.kicked_recently(sid):
        raise Conflict("The evaluation is queued.", code="evaluation_queued", status=status)
    await ctx.evaluations.kick(sid)
    return _progress(state, "queued", False)
