"""The question bank over HTTP (seed operations 7 and 8)."""

from __future__ import annotations

from typing import Literal

from litestar import Controller, get, patch
from litestar.params import Parameter

from server.accounts.guards import require_role
from server.limits import QUESTION_EDIT_BODY_BYTES
from server.questions import service as questions
from server.questions.schemas import (  # noqa: TC001 - Litestar reads handler annotations
    QuestionDetail,
    QuestionEdit,
    QuestionPage,
    UnansweredPage,
)
from server.questions.service import MAX_PAGE

MAX_UNANSWERED = 500


class QuestionController(Controller):
    path = "/questions"
    tags = ["questions"]

    @get(summary="List questions, filtered and paginated")
    async def list_questions(
        self,
        type_: Literal["LLD", "HLD", "lld", "hld"] | None = Parameter(query="type", default=None),
        difficulty: Literal["easy", "medium", "hard"] | None = None,
        company: str | None = Parameter(default=None, max_length=120),
        q: str | None = Parameter(default=None, max_length=200),
        limit: int = Parameter(default=questions.DEFAULT_PAGE, ge=1, le=MAX_PAGE),
        cursor: str | None = Parameter(default=None, max_length=400),
    ) -> QuestionPage:
        return await questions.list_questions(
            type=type_, difficulty=difficulty, company=company, q=q, limit=limit, cursor=cursor
        )

    @get("/{id_or_slug:str}", summary="Get one question by id or slug")
    async def get_question(self, id_or_slug: str) -> QuestionDetail:
        return await questions.get_question(id_or_slug)

    @patch(
        "/{id_or_slug:str}",
        summary="Edit a question (admins)",
        guards=[require_role("admin")],
        request_max_body_size=QUESTION_EDIT_BODY_BYTES,
    )
    async def edit_question(self, id_or_slug: str, data: QuestionEdit) -> QuestionDetail:
        return await questions.edit_question(id_or_slug, data)

    @get(
        "/{id_or_slug:str}/unanswered-clarifications",
        summary="What candidates asked that no rule answered (admins)",
        guards=[require_role("admin")],
    )
    async def unanswered(
        self, id_or_slug: str, limit: int = Parameter(default=100, ge=1, le=MAX_UNANSWERED)
    ) -> UnansweredPage:
        return await questions.unanswered_clarifications(id_or_slug, limit)
