"""A session's evaluation (seed operation 13) and retrying a failed one."""

from __future__ import annotations

import uuid  # noqa: TC003 - Litestar reads the handler signatures at runtime
from typing import TYPE_CHECKING

from litestar import Controller, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_202_ACCEPTED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
)

from domain.evaluation import StoredEvaluation
from server.evaluations import service as evaluations
from server.evaluations.schemas import EvaluationProgress
from server.sessions.service import Viewer

if TYPE_CHECKING:
    from server.accounts.tokens import Principal
    from server.context import AppContext

_PROGRESS = ResponseSpec(
    data_container=EvaluationProgress,
    description="Queued, running (with the feedback so far), or failed (retry allowed).",
)
# Error answers: server/system/openapi.py gives them the error body.
_NOT_FOUND = ResponseSpec(
    data_container=None,
    description="session_not_found, or evaluation_not_found: the solution is not submitted yet.",
)
_REFUSED = ResponseSpec(
    data_container=None,
    description="evaluation_done, evaluation_running, evaluation_queued, not_submitted or "
    "session_closed.",
)
_FORBIDDEN = ResponseSpec(
    data_container=None, description="forbidden: only the candidate or staff may retry."
)


class EvaluationController(Controller):
    path = "/sessions/{session_id:uuid}/evaluation"
    tags = ["evaluations"]

    @get(
        summary="The evaluation: 200 with the result, 202 while it runs, 404 before submit",
        responses={HTTP_202_ACCEPTED: _PROGRESS, HTTP_404_NOT_FOUND: _NOT_FOUND},
    )
    async def get_evaluation(
        self, session_id: uuid.UUID, ctx: AppContext, principal: Principal
    ) -> Response[StoredEvaluation]:
        found = await evaluations.result(ctx, Viewer(principal.user_id, principal.role), session_id)
        code = HTTP_200_OK if isinstance(found, StoredEvaluation) else HTTP_202_ACCEPTED
        return Response(found, status_code=code)  # type: ignore[arg-type]

    @post(
        "/retry",
        summary="Retry a failed (or lost) evaluation; 409 while one runs or once evaluated",
        status_code=HTTP_202_ACCEPTED,
        responses={
            HTTP_403_FORBIDDEN: _FORBIDDEN,
            HTTP_404_NOT_FOUND: _NOT_FOUND,
            HTTP_409_CONFLICT: _REFUSED,
        },
    )
    async def retry(
        self, session_id: uuid.UUID, ctx: AppContext, principal: Principal
    ) -> EvaluationProgress:
        viewer = Viewer(principal.user_id, principal.role)
        return await evaluations.retry(ctx, viewer, session_id)
