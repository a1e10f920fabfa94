"""Indexes for the evaluation pipeline: the leaderboard order and the watchdog's scans."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-21T10:15:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "evaluation pipeline indexes"

STATEMENTS = [
    # The leaderboard reads users by their stored rank.
    "CREATE INDEX user_stats_rank ON user_stats (rank) WHERE rank IS NOT NULL",
    # The watchdog looks for submissions awaiting a job and evaluations nobody holds.
    "CREATE INDEX interview_sessions_awaiting_evaluation ON interview_sessions (updated_at)"
    " WHERE status IN ('submitted', 'evaluating')",
]


class RawTable(Table):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(
        migration_id=ID, app_name="interview_rooms", description=DESCRIPTION
    )

    async def create_indexes() -> None:
        for statement in STATEMENTS:
            await RawTable.raw(statement)

    manager.add_raw(create_indexes)
    return manager
