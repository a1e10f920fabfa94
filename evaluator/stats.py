"""Postgres side of progress: user stats, leaderboard ranks, study plans, acceptance rates.

After each evaluation the user's stats are recomputed from their whole history (the pure
`domain.stats`), under a per-user advisory lock so two evaluations finishing together cannot
write an older picture over a newer one. Ranks are refreshed in one statement under a global
advisory lock (concurrent refreshes would lock rows in different orders and deadlock).

Empty attempts do not count: a submission whose written sections hold fewer than
`MIN_COUNTED_WORDS` words together (left blank, "todo", a room the timer submitted untouched)
stays in the history, marked, but is left out of the averages, topics, study plan, ranks and the
question's acceptance rate and attempts. The rule is one SQL condition, `COUNTED_ATTEMPT`, so
every query that counts applies the same one (the history's listing too:
`server.sessions.service`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from domain.evaluation import PASS_SCORE, section_scores
from domain.solution import SOLUTION_SECTIONS
from domain.stats import EvaluatedSession, QuestionCard, progress, study_plan

if TYPE_CHECKING:
    import uuid
    from collections.abc import Callable

    import asyncpg

# Advisory lock ids: one namespace for per-user stats, one global lock for rank refreshes.
STATS_LOCK_NAMESPACE = 0x5741
RANKS_LOCK_ID = 0x52414E4B

# Fewer words than this in all the written sections together and the attempt is empty: nothing
# was written to assess (ten words are one short sentence; a real attempt writes far more).
MIN_COUNTED_WORDS = 10
# Words are counted in each section's first characters only: plenty to reach the threshold, and
# a bounded cost for the acceptance refresh, which reads every attempt at a question.
WORD_SCAN_CHARS = 2000
# `s` is the solutions row. A word is a run of letters, digits or underscores.
SOLUTION_WORDS = " + ".join(
    f"regexp_count(left(s.{section}, {WORD_SCAN_CHARS}), '\\w+')" for section in SOLUTION_SECTIONS
)
COUNTED_ATTEMPT = f"({SOLUTION_WORDS}) >= {MIN_COUNTED_WORDS}"

SELECT_HISTORY = f"""
SELECT e.score, e.details, i.question_id, q.topics
FROM evaluations e JOIN solutions s ON s.id = e.solution_id
JOIN interview_sessions i ON i.id = s.session_id JOIN questions q ON q.id = i.question_id
WHERE i.user_id = $1 AND {COUNTED_ATTEMPT}
"""  # noqa: S608 - built from our own constants
SELECT_CATALOGUE = """
SELECT id, slug, title, difficulty, topics, rubric FROM questions
WHERE NOT is_locked AND NOT is_coming_soon
"""
UPSERT_STATS = """
INSERT INTO user_stats (id, user_id, problems_solved, sessions_completed, time_spent_secs,
    time_by_phase, average_score, best_score, topic_scores, study_plan, last_updated)
VALUES (gen_random_uuid(), $1, $2, $3, $4, $5::jsonb, $6, $7, $8::jsonb, $9::jsonb, now())
ON CONFLICT (user_id) DO UPDATE SET problems_solved = excluded.problems_solved,
    sessions_completed = excluded.sessions_completed, time_spent_secs = excluded.time_spent_secs,
    time_by_phase = excluded.time_by_phase, average_score = excluded.average_score,
    best_score = excluded.best_score, topic_scores = excluded.topic_scores,
    study_plan = excluded.study_plan, last_updated = now()
"""
# The leaderboard's one ordering: most questions solved, then the better average, then best.
# Only users with a counted session who stay on the leaderboard are ranked, so the ranks shown
# have no gaps where someone left; everyone else's rank is cleared.
REFRESH_RANKS = """
UPDATE user_stats u SET rank = r.rank
FROM (
    SELECT st.id, CASE WHEN st.sessions_completed > 0 AND usr.leaderboard THEN RANK() OVER (
        PARTITION BY st.sessions_completed > 0 AND usr.leaderboard
        ORDER BY st.problems_solved DESC, st.average_score DESC, st.best_score DESC) END AS rank
    FROM user_stats st JOIN users usr ON usr.id = st.user_id
) r
WHERE u.id = r.id AND u.rank IS DISTINCT FROM r.rank
"""
UPDATE_ACCEPTANCE = f"""
UPDATE questions q SET acceptance_rate = coalesce(sub.rate, 0), attempts = sub.attempts
FROM (
    SELECT count(*) AS attempts,
        round(100.0 * count(*) FILTER (WHERE e.score >= $2) / nullif(count(*), 0))::int AS rate
    FROM evaluations e JOIN solutions s ON s.id = e.solution_id
    JOIN interview_sessions i ON i.id = s.session_id
    WHERE i.question_id = $1 AND {COUNTED_ATTEMPT}
) sub
WHERE q.id = $1
    AND (q.acceptance_rate, q.attempts) IS DISTINCT FROM (coalesce(sub.rate, 0), sub.attempts)
"""  # noqa: S608 - built from our own constants
SELECT_STATS = """
SELECT u.name, u.email, st.* FROM user_stats st JOIN users u ON u.id = st.user_id
WHERE st.user_id = $1
"""
SELECT_LEADERBOARD = """
SELECT st.user_id, st.rank, st.problems_solved, st.sessions_completed, st.average_score,
    st.best_score, u.name
FROM user_stats st JOIN users u ON u.id = st.user_id
WHERE st.rank IS NOT NULL
ORDER BY st.rank, st.user_id
LIMIT $1 OFFSET $2
"""
COUNT_LEADERBOARD = "SELECT count(*) FROM user_stats WHERE rank IS NOT NULL"


def _json(raw: Any) -> Any:
    return msgspec.json.decode(raw) if isinstance(raw, str | bytes) else raw


def _encode(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def _history(rows: list[asyncpg.Record]) -> list[EvaluatedSession]:
    sessions = []
    for row in rows:
        details = _json(row["details"]) or {}
        sessions.append(
            EvaluatedSession(
                question_id=str(row["question_id"]),
                topics=list(row["topics"] or []),
                score=row["score"],
                section_scores=section_scores(details),
                time_by_phase={
                    k: float(v) for k, v in (details.get("time_by_phase") or {}).items()
                },
            )
        )
    return sessions


def _catalogue(rows: list[asyncpg.Record]) -> list[QuestionCard]:
    return [
        QuestionCard(
            id=str(row["id"]),
            slug=row["slug"],
            title=row["title"],
            difficulty=row["difficulty"],
            topics=list(row["topics"] or []),
            points_per_section={k: len(v) for k, v in (_json(row["rubric"]) or {}).items()},
        )
        for row in rows
    ]


class ProgressStore:
    """User stats, ranks and acceptance rates, through the pool the app or worker started."""

    def __init__(self, pool: Callable[[], asyncpg.Pool]) -> None:
        self._pool = pool

    async def refresh_progress(self, user_id: uuid.UUID, question_id: uuid.UUID) -> None:
        """Recomputes the user's stats and study plan, the ranks, and the question's acceptance."""
        async with self._pool().acquire() as conn:
            async with conn.transaction():
                await conn.execute(
                    "SELECT pg_advisory_xact_lock($1, hashtext($2))",
                    STATS_LOCK_NAMESPACE,
                    str(user_id),
                )
                sessions = _history(await conn.fetch(SELECT_HISTORY, user_id))
                totals = progress(sessions)
                plan = study_plan(
                    sessions, _catalogue(await conn.fetch(SELECT_CATALOGUE)), totals.topic_scores
                )
                await conn.execute(
                    UPSERT_STATS,
                    user_id,
                    totals.problems_solved,
                    totals.sessions_completed,
                    totals.time_spent_secs,
                    _encode(totals.time_by_phase),
                    totals.average_score,
                    totals.best_score,
                    _encode(totals.topic_scores),
                    _encode(plan),
                )
            await self._refresh_ranks(conn)
            await conn.execute(UPDATE_ACCEPTANCE, question_id, PASS_SCORE)

    async def refresh_ranks(self) -> None:
        """Recomputes the ranks now (a user joined or left the leaderboard)."""
        async with self._pool().acquire() as conn:
            await self._refresh_ranks(conn)

    @staticmethod
    async def _refresh_ranks(conn: asyncpg.Connection) -> None:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", RANKS_LOCK_ID)
            await conn.execute(REFRESH_RANKS)

    async def user_stats(self, user_id: uuid.UUID) -> dict[str, Any] | None:
        async with self._pool().acquire() as conn:
            row = await conn.fetchrow(SELECT_STATS, user_id)
        if row is None:
            return None
        stats = dict(row)
        for field in ("time_by_phase", "topic_scores", "study_plan"):
            stats[field] = _json(stats[field])
        return stats

    async def leaderboard(self, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        async with self._pool().acquire() as conn:
            rows = await conn.fetch(SELECT_LEADERBOARD, limit, offset)
            total = await conn.fetchval(COUNT_LEADERBOARD)
        return [dict(row) for row in rows], int(total or 0)
