"""Clarification matching: example phrasings per rule, and the matched rule and confidence of
every answered clarification (so the neutral answers can be listed per question)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-01T20:15:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "clarification examples, matched intent and confidence"

STATEMENTS = [
    # (Piccolo's raw() reads braces as placeholders, hence ARRAY[] rather than '{}'.)
    "ALTER TABLE clarification_rules ADD COLUMN examples TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[]",
    "ALTER TABLE clarification_logs ADD COLUMN rule_intent TEXT",
    "ALTER TABLE clarification_logs ADD COLUMN confidence REAL",
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
