"""The migrated schema enforces its rules, and seeding is idempotent and respects admin edits."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import pytest

from domain.tables import ClarificationRule, Question, QuestionCompany
from server.operations.seed import load_bank, seed

EXPECTED_TABLES = {
    "users",
    "user_auth_sessions",
    "email_otps",
    "questions",
    "question_companies",
    "clarification_rules",
    "interview_sessions",
    "clarification_logs",
    "solutions",
    "evaluations",
    "session_snapshots",
    "session_events",
    "session_invites",
    "session_observers",
    "user_stats",
}


async def test_every_table_exists(database: str) -> None:
    rows = await Question.raw(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
    )
    assert {row["table_name"] for row in rows} >= EXPECTED_TABLES


async def test_database_refuses_a_value_outside_an_enum(database: str) -> None:
    with pytest.raises(asyncpg.CheckViolationError):
        await Question.raw(
            "INSERT INTO questions (id, created_at, updated_at, slug, title, description,"
            " difficulty, type) VALUES (gen_random_uuid(), now(), now(), 'bad-enum', 't', 'd',"
            " 'impossible', 'LLD')"
        )


async def test_seed_loaded_every_bank_question_with_rules_and_companies(database: str) -> None:
    bank = load_bank()
    assert await Question.count() >= len(bank)
    for question, _ in bank:
        row = await Question.select(Question.id).where(Question.slug == question.slug).first()
        assert row is not None
        rules = await ClarificationRule.count().where(ClarificationRule.question_id == row["id"])
        companies = await QuestionCompany.count().where(QuestionCompany.question_id == row["id"])
        assert rules == len(question.clarification_rules)
        assert companies == len(question.companies)


async def test_seeding_again_changes_nothing(database: str) -> None:
    report = await seed()
    assert report.created == 0 and report.updated == 0


async def test_seed_keeps_an_admin_edit_and_repairs_an_unedited_drift(database: str) -> None:
    edited, drifted = (q.slug for q, _ in load_bank()[:2])
    await Question.update(
        {Question.title: "Admin's title", Question.edited_at: datetime.now(UTC)}
    ).where(Question.slug == edited)
    await Question.update({Question.title: "stale", Question.seed_hash: "old"}).where(
        Question.slug == drifted
    )
    report = await seed()
    assert report.kept_admin_edits >= 1 and report.updated == 1  # other tests edit too
    rows = {
        row["slug"]: row["title"] for row in await Question.select(Question.slug, Question.title)
    }
    assert rows[edited] == "Admin's title"
    assert rows[drifted] != "stale"
