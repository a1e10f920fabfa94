"""Loads the question bank into Postgres: idempotent, and never over an admin's edits."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import TYPE_CHECKING, Any, cast

import msgspec

from domain.questions import BankQuestion, content_hash, decode_bank_question
from domain.tables import ClarificationRule, Question, QuestionCompany

if TYPE_CHECKING:
    from piccolo.columns import Column

log = logging.getLogger("interview_rooms.seed")


@dataclass
class SeedReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_admin_edits: int = 0


def bank_files() -> list[tuple[str, bytes]]:
    folder = resources.files("domain") / "bank" / "questions"
    entries = [entry for entry in folder.iterdir() if entry.name.endswith(".json")]
    return sorted((entry.name, entry.read_bytes()) for entry in entries)


def load_bank() -> list[tuple[BankQuestion, str]]:
    """Every bank question with its content hash; a malformed file names itself."""
    loaded = []
    for name, raw in bank_files():
        try:
            question = decode_bank_question(raw)
        except (msgspec.ValidationError, msgspec.DecodeError, ValueError) as exc:
            raise ValueError(f"question bank file {name}: {exc}") from exc
        loaded.append((question, content_hash(raw)))
    return loaded


def _question_values(q: BankQuestion, digest: str) -> dict[Column, Any]:
    return {
        Question.slug: q.slug,
        Question.title: q.title,
        Question.description: q.description,
        Question.difficulty: q.difficulty,
        Question.type: q.type,
        Question.is_locked: q.is_locked,
        Question.is_coming_soon: q.is_coming_soon,
        Question.topics: q.topics,
        Question.clarifying_secs: q.durations.clarifying,
        Question.design_secs: q.durations.design,
        Question.max_clarifications: q.max_clarifications,
        Question.rubric: msgspec.json.encode(q.rubric).decode(),
        Question.reference_solution: msgspec.json.encode(q.reference_solution).decode(),
        Question.seed_hash: digest,
        Question.updated_at: datetime.now(UTC),
    }


async def _replace_children(question_id: object, q: BankQuestion) -> None:
    await QuestionCompany.delete().where(QuestionCompany.question_id == question_id)
    await ClarificationRule.delete().where(ClarificationRule.question_id == question_id)
    companies = [
        QuestionCompany(question_id=question_id, company_name=name) for name in q.companies
    ]
    rules = [
        ClarificationRule(
            question_id=question_id,
            position=position,
            intent=rule.intent,
            keywords=rule.keywords,
            examples=rule.examples,
            response=rule.response,
            max_questions=q.max_clarifications,
        )
        for position, rule in enumerate(q.clarification_rules)
    ]
    if companies:
        await QuestionCompany.insert(*companies)
    if rules:
        await ClarificationRule.insert(*rules)


async def _seed_one(q: BankQuestion, digest: str, report: SeedReport) -> None:
    existing = (
        await Question.select(Question.id, Question.seed_hash, Question.edited_at)
        .where(Question.slug == q.slug)
        .first()
    )
    values = _question_values(q, digest)
    if existing is None:
        row = Question(**{column._meta.name: value for column, value in values.items()})
        await row.save()
        await _replace_children(row.id, q)
        report.created += 1
    elif existing["edited_at"] is not None:
        report.kept_admin_edits += 1
    elif existing["seed_hash"] == digest:
        report.unchanged += 1
    else:
        # piccolo asks for exactly dict[Column | str, Any] and only reads it; dict is invariant.
        await Question.update(cast("dict[Column | str, Any]", values)).where(
            Question.id == existing["id"]
        )
        await _replace_children(existing["id"], q)
        report.updated += 1


async def seed() -> SeedReport:
    report = SeedReport()
    bank = load_bank()
    async with Question._meta.db.transaction():
        for question, digest in bank:
            await _seed_one(question, digest, report)
    log.info(
        "question bank: %d created, %d updated, %d unchanged, %d kept (edited by an admin)",
        report.created,
        report.updated,
        report.unchanged,
        report.kept_admin_edits,
    )
    return report
