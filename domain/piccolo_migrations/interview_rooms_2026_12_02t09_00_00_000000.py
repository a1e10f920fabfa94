"""Leaving the leaderboard, and the bank's attempt counts.

`users.leaderboard` is the user's choice to be listed (on unless they leave). `questions.attempts`
counts the evaluated attempts that count in statistics, the acceptance rate's denominator: the
bank orders by it and says "no attempts yet" when it is 0. Both are backfilled from the
evaluations already stored, with the rule `evaluator/stats.py` applies from now on (an attempt
whose written sections hold fewer than 10 words together is empty and not counted).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-02T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "leaderboard opt-out, counted attempts per question"

# The rule as it stood when this migration was written (evaluator/stats.py COUNTED_ATTEMPT).
_SECTIONS = (
    "functional_req",
    "non_functional_req",
    "entities",
    "classes_and_relationships",
    "apis",
    "code",
    "extra",
)
_WORDS = " + ".join(f"regexp_count(left(s.{section}, 2000), '\\w+')" for section in _SECTIONS)

STATEMENTS = [
    "ALTER TABLE users ADD COLUMN leaderboard BOOLEAN NOT NULL DEFAULT true",
    "ALTER TABLE questions ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0",
    "UPDATE questions q SET attempts = sub.attempts, acceptance_rate = sub.rate"
    " FROM (SELECT i.question_id, count(*) AS attempts,"
    " round(100.0 * count(*) FILTER (WHERE e.score >= 60) / count(*))::int AS rate"
    " FROM evaluations e JOIN solutions s ON s.id = e.solution_id"
    " JOIN interview_sessions i ON i.id = s.session_id"
    f" WHERE {_WORDS} >= 10 GROUP BY i.question_id) sub"
    " WHERE q.id = sub.question_id",
]


class RawTable(Table):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(
        migration_id=ID, app_name="interview_rooms", description=DESCRIPTION
    )

    async def alter() -> None:
        for statement in STATEMENTS:
            await RawTable.raw(statement)

    manager.add_raw(alter)
    return manager
