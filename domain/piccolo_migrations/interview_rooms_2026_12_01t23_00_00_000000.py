"""Invites as capabilities: single-use by default, optionally bound to an address, revocable,
with the room role they grant; observers remember the invite that let them in and their role.

Observers admitted before this migration become peers (no private notes, no interviewer
commands): nothing recorded says who invited them, and the safe default grants less.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-01T23:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "invite uses, bound address, granted role; observer role and invite"

STATEMENTS = [
    "ALTER TABLE session_invites ADD COLUMN role VARCHAR(12) NOT NULL DEFAULT 'peer'",
    "ALTER TABLE session_invites ADD COLUMN max_uses INTEGER NOT NULL DEFAULT 1",
    "ALTER TABLE session_invites ADD COLUMN uses INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE session_invites ADD COLUMN email VARCHAR(320)",
    "ALTER TABLE session_invites ADD COLUMN revoked_at TIMESTAMPTZ",
    "ALTER TABLE session_observers ADD COLUMN role VARCHAR(12) NOT NULL DEFAULT 'peer'",
    "ALTER TABLE session_observers ADD COLUMN invite_id UUID"
    " REFERENCES session_invites (id) ON DELETE SET NULL",
    "CREATE INDEX session_observers_invite_id ON session_observers (invite_id)",
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
