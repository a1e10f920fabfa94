"""Question bank queries: filtered keyset pages and single questions with their companies."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec
from piccolo.columns.combination import WhereRaw
from piccolo.query import SelectRaw
from piccolo.querystring import QueryString

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
# A search of more words than this keeps the first ones (each word is one more subquery).
MAX_SEARCH_TERMS = 8

# The bank's order: questions one can start before locked and coming-soon ones, easiest first,
# then the most attempted (counted, evaluated attempts), then by title ignoring case; the slug
# breaks ties.
# `tier` folds the first two keys into one number, so a page's cursor is one row of the order.
TIER_SQL = (
    "(CASE WHEN is_locked OR is_coming_soon THEN 3 ELSE 0 END"
    " + CASE difficulty WHEN 'easy' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END)"
)
# Why a question cannot be started, when the bank says nothing more specific.
LOCKED_REASON = "An administrator of this server has locked it; it opens when they unlock it."
COMING_SOON_REASON = "It is still being prepared and cannot be started yet."


SUMMARY_COLUMNS = (
    Question.id,
    Question.slug,
    Question.title,
    Question.type,
    Question.difficulty,
    Question.acceptance_rate,
    Question.attempts,
    Question.is_locked,
    Question.is_coming_soon,
    Question.topics,
    Question.clarifying_secs,
    Question.design_secs,
    Question.max_clarifications,
)


# The last row of a page in the bank's order: (tier, attempts, title, slug).
Position = tuple[int, int, str, str]


def _encode_cursor(row: dict[str, Any]) -> str:
    position = [row["tier"], row["attempts"], row["title"], row["slug"]]
    return base64.urlsafe_b64encode(msgspec.json.encode(position)).decode().rstrip("=")


def _decode_cursor(cursor: str) -> Position:
    """Where the previous page ended; the slug is unique, so the order is total."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position: Position = msgspec.json.decode(raw, type=Position)
        return position
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
        "attempts": row["attempts"],
        "locked_reason": locked_reason(row),
        "is_locked": row["is_locked"],
        "is_coming_soon": row["is_coming_soon"],
        "topics": list(row["topics"] or []),
        "companies": companies,
        "durations": {"clarifying": row["clarifying_secs"], "design": row["design_secs"]},
        "max_clarifications": row["max_clarifications"],
    }


def locked_reason(row: dict[str, Any]) -> str | None:
    """Why the question cannot be started; None when it can."""
    if row["is_locked"]:
        return LOCKED_REASON
    if row["is_coming_soon"]:
        return COMING_SOON_REASON
    return None


def _contains(text: str) -> str:
    """An ILIKE pattern matching `text` anywhere, its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _with_company(pattern: str) -> Any:
    return QuestionCompany.select(QuestionCompany.question_id).where(
        QuestionCompany.company_name.ilike(pattern)
    )


def _mentions(term: str) -> Any:
    """The term in the title, the description, a topic or a company's name."""
    pattern = _contains(term)
    return (
        Question.title.ilike(pattern)
        | Question.description.ilike(pattern)
        | WhereRaw("array_to_string(topics, ' ') ILIKE {}", pattern)
        | Question.id.is_in(_with_company(pattern))
    )


def _after(cursor: str) -> WhereRaw:
    tier, attempts, title, slug = _decode_cursor(cursor)
    return WhereRaw(
        f"({TIER_SQL}, -attempts, lower(title), slug) > ({{}}, {{}}, lower({{}}), {{}})",
        tier,
        -attempts,
        title,
        slug,
    )


async def list_questions(
    *,
    type: str | None,
    difficulty: str | None,
    company: str | None,
    q: str | None,
    limit: int,
    cursor: str | None,
) -> QuestionPage:
    """A page of the bank in its order (`TIER_SQL`); `company` matches part of a name, and
    every word of `q` must be in the title, description, a topic or a company."""
    query = (
        Question.select(
            *SUMMARY_COLUMNS,
            SelectRaw(f"{TIER_SQL} AS tier"),
        )
        .order_by(QueryString(TIER_SQL))
        .order_by(Question.attempts, ascending=False)
        .order_by(QueryString("lower(title)"), Question.slug)
    )
    if type:
        query = query.where(Question.type == type.upper())
    if difficulty:
        query = query.where(Question.difficulty == difficulty.lower())
    if company and company.strip():
        query = query.where(Question.id.is_in(_with_company(_contains(company.strip()))))
    for term in (q or "").split()[:MAX_SEARCH_TERMS]:
        query = query.where(_mentions(term))
    if cursor:
        query = query.where(_after(cursor))
    rows = await query.limit(limit + 1)
    page, more = rows[:limit], len(rows) > limit
    companies = await _companies([row["id"] for row in page])
    items = [QuestionSummary(**_summary_fields(row, companies.get(row["id"], []))) for row in page]
    next_cursor = _encode_cursor(page[-1]) if more else None
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
