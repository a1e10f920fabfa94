"""Postgres side of evaluations: the solution to evaluate, and the one stored result.

The evaluation row is written once per solution (`ON CONFLICT (solution_id) DO NOTHING`) and then
read back: whatever row is there is the truth that the room and the API show, even if two jobs
raced to write it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec

from domain.assessment import generic_keywords, question_profile
from domain.evaluation import CriterionVerdict, SectionVerdict, StoredEvaluation
from domain.followups import Exchange
from domain.questions import RubricPoint
from domain.solution import SOLUTION_SECTIONS
from evaluator.prompts import EvaluationInput

if TYPE_CHECKING:
    import uuid
    from collections.abc import Callable
    from datetime import datetime

    import asyncpg

    from domain.evaluation import Verdict
    from domain.state import RoomState


SELECT_SOLUTION = f"""
SELECT s.id, s.language, {", ".join(f"s.{section}" for section in SOLUTION_SECTIONS)},
    i.user_id, i.question_id
FROM solutions s JOIN interview_sessions i ON i.id = s.session_id
WHERE s.session_id = $1
"""  # noqa: S608 - the column names are our own constants
SELECT_STORED = """
SELECT e.id, e.solution_id, s.session_id, e.score, e.strengths, e.weaknesses,
    e.improvement_points, e.details, e.feedback, e.evaluator, e.evaluated_at
FROM evaluations e JOIN solutions s ON s.id = e.solution_id
WHERE s.session_id = $1
"""
INSERT_EVALUATION = """
INSERT INTO evaluations (id, solution_id, score, strengths, weaknesses, improvement_points,
    details, feedback, evaluator, evaluated_at)
VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6::jsonb, $7, $8, now())
ON CONFLICT (solution_id) DO NOTHING
"""
SELECT_QUESTION = """
SELECT slug, title, type, difficulty, description, rubric FROM questions WHERE id = $1
"""
# Every question's own material, to tell which one an answer is about.
SELECT_BANK = """
SELECT q.slug, q.title, q.description, q.rubric,
    coalesce(array_agg(r.response) FILTER (WHERE r.response IS NOT NULL), '{}') AS responses
FROM questions q LEFT JOIN clarification_rules r ON r.question_id = q.id
GROUP BY q.id
"""
SELECT_PHASE_CHANGES = """
SELECT payload FROM session_events
WHERE session_id = $1 AND type = 'phase.changed' ORDER BY seq
"""

_rubric_type = dict[str, list[RubricPoint]]


@dataclass(frozen=True)
class SolutionRow:
    id: uuid.UUID
    user_id: uuid.UUID
    question_id: uuid.UUID
    language: str
    sections: dict[str, str]


def _rubric(raw: Any) -> dict[str, list[RubricPoint]]:
    return msgspec.convert(_json(raw) or {}, _rubric_type)


def _json(raw: Any) -> Any:
    return msgspec.json.decode(raw) if isinstance(raw, str | bytes) else raw


def _lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


def _stored(row: asyncpg.Record) -> StoredEvaluation:
    details = _json(row["details"]) or {}
    evaluated_at: datetime = row["evaluated_at"]
    return StoredEvaluation(
        id=str(row["id"]),
        session_id=str(row["session_id"]),
        solution_id=str(row["solution_id"]),
        score=row["score"],
        sections=msgspec.convert(details.get("sections") or {}, dict[str, SectionVerdict]),
        strengths=_lines(row["strengths"]),
        weaknesses=_lines(row["weaknesses"]),
        improvement_points=_lines(row["improvement_points"]),
        follow_up_questions=list(details.get("follow_up_questions") or []),
        criteria=msgspec.convert(details.get("criteria") or [], list[CriterionVerdict]),
        feedback=row["feedback"],
        evaluator=row["evaluator"],
        evaluated_at=evaluated_at.timestamp(),
    )


class EvaluationStore:
    """The solutions and evaluations tables, through the pool the app or worker started."""

    def __init__(self, pool: Callable[[], asyncpg.Pool]) -> None:
        self._pool = pool

    def acquire(self) -> Any:
        """A connection from the pool, as an async context manager."""
        return self._pool().acquire()

    async def solution_of(self, session_id: str) -> SolutionRow | None:
        async with self._pool().acquire() as conn:
            row = await conn.fetchrow(SELECT_SOLUTION, session_id)
        if row is None:
            return None
        return SolutionRow(
            id=row["id"],
            user_id=row["user_id"],
            question_id=row["question_id"],
            language=row["language"],
            sections={column: row[column] or "" for column in SOLUTION_SECTIONS},
        )

    async def stored_evaluation(self, session_id: str) -> StoredEvaluation | None:
        async with self._pool().acquire() as conn:
            row = await conn.fetchrow(SELECT_STORED, session_id)
        return _stored(row) if row else None

    async def store_evaluation(
        self,
        solution: SolutionRow,
        session_id: str,
        verdict: Verdict,
        feedback: str,
        evaluator: str,
        time_by_phase: dict[str, float],
    ) -> StoredEvaluation:
        """Writes the evaluation unless one exists, then returns the stored one (the truth)."""
        details = {
            "sections": msgspec.to_builtins(verdict.sections),
            "follow_up_questions": verdict.follow_up_questions,
            "time_by_phase": time_by_phase,
            "criteria": msgspec.to_builtins(verdict.criteria),
        }
        async with self._pool().acquire() as conn:
            await conn.execute(
                INSERT_EVALUATION,
                solution.id,
                verdict.score,
                "\n".join(verdict.strengths),
                "\n".join(verdict.weaknesses),
                "\n".join(verdict.improvement_points),
                msgspec.json.encode(details).decode(),
                feedback,
                evaluator,
            )
            row = await conn.fetchrow(SELECT_STORED, session_id)
        assert row is not None, "inserted or already there"
        return _stored(row)

    async def phase_changes(self, session_id: str) -> list[tuple[str, float]]:
        """The session's phase changes as (to_phase, at), from the archived event log."""
        async with self._pool().acquire() as conn:
            rows = await conn.fetch(SELECT_PHASE_CHANGES, session_id)
        changes = []
        for row in rows:
            payload = _json(row["payload"])
            changes.append((str(payload["to_phase"]), float(payload.get("ts") or 0.0)))
        return changes

    async def evaluation_input(self, solution: SolutionRow, state: RoomState) -> EvaluationInput:
        async with self._pool().acquire() as conn:
            question = await conn.fetchrow(SELECT_QUESTION, solution.question_id)
            bank = await conn.fetch(SELECT_BANK)
        assert question is not None, "a session's question cannot be deleted (ON DELETE RESTRICT)"
        rubrics = {row["slug"]: _rubric(row["rubric"]) for row in bank}
        return EvaluationInput(
            question_slug=question["slug"],
            bank=[
                question_profile(
                    row["slug"],
                    row["title"],
                    row["description"],
                    rubrics[row["slug"]],
                    list(row["responses"]),
                )
                for row in bank
            ],
            generic_keywords=sorted(generic_keywords(list(rubrics.values()))),
            question_title=question["title"],
            question_type=question["type"],
            difficulty=question["difficulty"],
            description=question["description"],
            clarifications=[
                (c.question, c.answer or "(not answered)") for c in state.clarifications
            ],
            solution=solution.sections,
            language=solution.language,
            rubric=_rubric(question["rubric"]),
            followups=[
                Exchange(f.question, f.answer, f.section, f.origin)
                for f in state.followups
                if f.answer is not None
            ],
        )
