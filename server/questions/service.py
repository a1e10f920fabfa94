"""Question bank queries: filtered keyset pages and single questions with their companies."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec

from domain.clarify import NEUTRAL_ANSWER
from domain.tables import ClarificationLog, Question, QuestionCompany
from server.errors import BadRequest, NotFound
from server.questions.schemas import (
    Company,
    QuestionDetail,
    QuestionEdit,
    QuestionPage,
    QuestionSummary,
    UnansweredClarification,
    UnansweredPage,
)

MAX_PAGE = 100
DEFAULT_PAGE = 50


SUMMARY_COLUMNS = (
    Question.id,
    Question.slug,
    Question.title,
    Question.type,
    Question.difficulty,
    Question.acceptance_rate,
    Question.is_locked,
    Question.is_coming_soon,
    Question.topics,
    Question.clarifying_secs,
    Question.design_secs,
    Question.max_clarifications,
)


def _encode_cursor(slug: str) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode([slug])).decode().rstrip("=")


def _decode_cursor(cursor: str) -> str:
    """The last slug of the previous page (slugs are unique, lower-case: a stable order)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        (slug,) = msgspec.json.decode(raw, type=tuple[str])
        return slug
    except (binascii.Error, msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
        raise BadRequest(
            "The cursor is not one this server issued.", code="invalid_cursor"
        ) from exc


async def _companies(question_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Company]]:
    if not question_ids:
        return {}
    rows = (
        await QuestionCompany.select(
            QuestionCompany.question_id,
            QuestionCompany.company_name,
            QuestionCompany.company_logo_url,
        )
        .where(QuestionCompany.question_id.is_in(question_ids))
        .order_by(QuestionCompany.company_name)
    )
    found: dict[uuid.UUID, list[Company]] = {}
    for row in rows:
        company = Company(row["company_name"], row["company_logo_url"] or None)
        found.setdefault(row["question_id"], []).append(company)
    return found


def _summary_fields(row: dict[str, Any], companies: list[Company]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "slug": row["slug"],
        "title": row["title"],
        "type": row["type"],
        "difficulty": row["difficulty"],
        "acceptance_rate": row["acceptance_rate"],
        "is_locked": row["is_locked"],
        "is_coming_soon": row["is_coming_soon"],
        "topics": list(row["topics"] or []),
        "companies": companies,
        "durations": {"clarifying": row["clarifying_secs"], "design": row["design_secs"]},
        "max_clarifications": row["max_clarifications"],
    }


async def list_questions(
    *,
    type: str | None,
    difficulty: str | None,
    company: str | None,
    q: str | None,
    limit: int,
    cursor: str | None,
) -> QuestionPage:
    query = Question.select(*SUMMARY_COLUMNS).order_by(Question.slug)
    if type:
        query = query.where(Question.type == type.upper())
    if difficulty:
        query = query.where(Question.difficulty == difficulty.lower())
    if company:
        with_company = QuestionCompany.select(QuestionCompany.question_id).where(
            QuestionCompany.company_name.ilike(company.strip())
        )
        query = query.where(Question.id.is_in(with_company))
    if q:
        pattern = f"%{q.strip()}%"
        query = query.where(Question.title.ilike(pattern) | Question.description.ilike(pattern))
    if cursor:
        query = query.where(Question.slug > _decode_cursor(cursor))
    rows = await query.limit(limit + 1)
    page, more = rows[:limit], len(rows) > limit
    companies = await _companies([row["id"] for row in page])
    items = [QuestionSummary(**_summary_fields(row, companies.get(row["id"], []))) for row in page]
    next_cursor = _encode_cursor(page[-1]["slug"]) if more else None
    return QuestionPage(items=items, next_cursor=next_cursor)


async def find_question_row(id_or_slug: str) -> dict[str, Any]:
    """The whole question row (rubric included, for server use) by id or slug."""
    try:
        condition = Question.id == uuid.UUID(id_or_slug)
    except ValueError:
        condition = Question.slug == id_or_slug
    row = await Question.select().where(condition).first()
    if row is None:
        raise NotFound(f"No question {id_or_slug!r}.", code="question_not_found")
    return row


async def get_question(id_or_slug: str) -> QuestionDetail:
    row = await find_question_row(id_or_slug)
    companies = await _companies([row["id"]])
    return QuestionDetail(
        **_summary_fields(row, companies.get(row["id"], [])), description=row["description"]
    )


def _edit_values(edit: QuestionEdit) -> dict[Any, Any]:
    from domain.timers import validate_durations

    durations = {
        k: v
        for k, v in (("clarifying", edit.clarifying_secs), ("design", edit.design_secs))
        if v is not None
    }
    validate_durations(durations)
    if edit.title is not None and not 3 <= len(edit.title.strip()) <= 200:
        raise BadRequest("A title has 3 to 200 characters.", code="invalid_request", field="title")
    if edit.max_clarifications is not None and not 0 <= edit.max_clarifications <= 50:
        raise BadRequest(
            "max_clarifications is 0 to 50.", code="invalid_request", field="max_clarifications"
        )
    columns = {
        Question.title: edit.title,
        Question.description: edit.description,
        Question.difficulty: edit.difficulty,
        Question.is_locked: edit.is_locked,
        Question.is_coming_soon: edit.is_coming_soon,
        Question.clarifying_secs: edit.clarifying_secs,
        Question.design_secs: edit.design_secs,
        Question.max_clarifications: edit.max_clarifications,
    }
    return {column: value for column, value in columns.items() if value is not None}


async def edit_question(id_or_slug: str, edit: QuestionEdit) -> QuestionDetail:
    """Applies an admin's edit; `seed` will not overwrite an edited question."""
    row = await find_question_row(id_or_slug)
    values = _edit_values(edit)
    now = datetime.now(UTC)
    await Question.update({**values, Question.edited_at: now, Question.updated_at: now}).where(
        Question.id == row["id"]
    )
    return await get_question(str(row["id"]))


# Grouped by the text as asked (case and outer spaces aside), most asked first.
SELECT_UNANSWERED = """
SELECT min(l.user_question) AS text, count(*) AS times_asked, max(l.created_at) AS last_asked_at
FROM clarification_logs l JOIN interview_sessions s ON s.id = l.session_id
WHERE s.question_id = {} AND l.answered_by IN ('rules', 'fallback')
    AND l.interviewer_response = {}
GROUP BY lower(btrim(l.user_question))
ORDER BY times_asked DESC, last_asked_at DESC
LIMIT {}
"""


async def unanswered_clarifications(id_or_slug: str, limit: int) -> UnansweredPage:
    """What candidates asked about this question that no rule answered: material for new rules."""
    question = await find_question_row(id_or_slug)
    rows = await ClarificationLog.raw(SELECT_UNANSWERED, question["id"], NEUTRAL_ANSWER, limit)
    return UnansweredPage(
        question_id=question["id"],
        items=[UnansweredClarification(**row) for row in rows],
    )
