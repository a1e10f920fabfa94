"""Indexes the queries need that Piccolo's column options cannot express."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-21T08:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "partial and composite indexes"

STATEMENTS = [
    # One unfinished session per user and question: a double-click on "start" cannot make two.
    "CREATE UNIQUE INDEX interview_sessions_one_open ON interview_sessions (user_id, question_id)"
    " WHERE status IN ('clarifying', 'design')",
    # "My sessions, newest first".
    "CREATE INDEX interview_sessions_user_started ON interview_sessions (user_id, started_at DESC)",
    # Live rooms for interviewers.
    "CREATE INDEX interview_sessions_live ON interview_sessions (started_at DESC)"
    " WHERE status IN ('clarifying', 'design', 'submitted', 'evaluating')",
    # The latest code sent to an address.
    "CREATE INDEX email_otps_email_created ON email_otps (email, created_at DESC)",
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
