"""Room durability: the seq reservation and the epoch of every room (rooms/archive.py)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-01T23:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "room seq reservation and epoch"

STATEMENTS = [
    "ALTER TABLE interview_sessions ADD COLUMN reserved_seq BIGINT NOT NULL DEFAULT 0",
    "ALTER TABLE interview_sessions ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0",
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
