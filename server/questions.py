"""Question bank queries: filtered keyset pages and single questions with their companies."""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any

import msgspec

from domain.tables import Question, QuestionCompany
from server.errors import BadRequest, NotFound

MAX_PAGE = 100
DEFAULT_PAGE = 50


class Company(msgspec.Struct, frozen=True):
    name: str
    logo_url: str | None = None


class QuestionSummary(msgspec.Struct, frozen=True):
    id: uuid.UUID
    slug: str
    title: str
    type: str
    difficulty: str
    acceptance_rate: int
    is_locked: bool
    is_coming_soon: bool
    topics: list[str]
    companies: list[Company]
    durations: dict[str, int]
    max_clarifications: int


class QuestionDetail(QuestionSummary, frozen=True):
    description: str = ""


class QuestionPage(msgspec.Struct, frozen=True):
    items: list[QuestionSummary]
    next_cursor: str | None


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


def _encode_cursor(title: str, question_id: uuid.UUID) -> str:
    raw = msgspec.json.encode([title, str(question_id)])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[str, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        title, question_id = msgspec.json.decode(raw, type=tuple[str, str])
        return title, uuid.UUID(question_id)
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
    query = Question.select(*SUMMARY_COLUMNS).order_by(Question.title).order_by(Question.id)
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
        title, last_id = _decode_cursor(cursor)
        query = query.where(
            (Question.title > title) | ((Question.title == title) & (Question.id > last_id))
        )
    rows = await query.limit(limit + 1)
    page, more = rows[:limit], len(rows) > limit
    companies = await _companies([row["id"] for row in page])
    items = [QuestionSummary(**_summary_fields(row, companies.get(row["id"], []))) for row in page]
    next_cursor = _encode_cursor(page[-1]["title"], page[-1]["id"]) if more else None
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
