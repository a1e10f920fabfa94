"""`interview-rooms users …`: account administration from the server's own configuration."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from server import db

if TYPE_CHECKING:
    import argparse

    from server.settings import Settings


async def _promote(email: str, role: str) -> int:
    from domain.tables import User

    updated = (
        await User.update({User.role: role, User.updated_at: datetime.now(UTC)})
        .where(User.email == email.strip().lower())
        .returning(User.id)
    )
    if not updated:
        print(f"no user with email {email}", file=sys.stderr)
        return 1
    print(f"{email} is now {role}")
    return 0


async def run(settings: Settings, args: argparse.Namespace) -> int:
    await db.start_pool(max_size=2)
    try:
        if args.users_command == "promote":
            return await _promote(args.email, args.role)
        print("users token: arrives with the auth service", file=sys.stderr)
        return 1
    finally:
        await db.close_pool()
