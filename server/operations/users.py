"""`interview-rooms users …`: account administration from the server's own configuration."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from server.operations import db

if TYPE_CHECKING:
    import argparse
    import uuid

    from server.settings import Settings


async def _promote(settings: Settings, email: str, role: str) -> int:
    from domain.tables import User

    updated = (
        await User.update({User.role: role, User.updated_at: datetime.now(UTC)})
        .where(User.email == email.strip().lower())
        .returning(User.id)
    )
    if not updated:
        print(f"no user with email {email}", file=sys.stderr)
        return 1
    await _announce_role(settings, updated[0]["id"], role)
    print(f"{email} is now {role}")
    return 0


async def _announce_role(settings: Settings, user_id: uuid.UUID, role: str) -> None:
    """Older tokens of the user stop working and their open sockets re-check, at once."""
    import redis.asyncio as aioredis

    from server.accounts.live import record_role

    async with aioredis.Redis.from_url(settings.redis_url or "") as redis:
        await record_role(redis, settings, user_id, role)


async def _token(settings: Settings, email: str, create: bool, role: str | None) -> int:
    """Prints an access token for the user, from this server's own secret and database.

    The token belongs to a session of its own (recorded like a login, its refresh token
    discarded), so `logout-all` ends it like any other.
    """
    from server.accounts import refresh_families as sessions
    from server.accounts import users as accounts
    from server.accounts.otp import normalise_email
    from server.accounts.tokens import Principal, issue_access_token
    from server.errors import AppError

    try:
        user = await accounts.find_or_create(normalise_email(email), create)
        if role is not None and role != user["role"]:
            user = await accounts.set_role(user["id"], role)
            await _announce_role(settings, user["id"], role)
    except AppError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    client = sessions.ClientInfo(user_agent="interview-rooms users token")
    session = await sessions.start(settings, user["id"], client)
    principal = Principal(user_id=user["id"], role=user["role"], sid=session.family_id)
    print(issue_access_token(settings, principal).token)
    return 0


async def run(settings: Settings, args: argparse.Namespace) -> int:
    await db.start_pool(max_size=2)
    try:
        if args.users_command == "promote":
            return await _promote(settings, args.email, args.role)
        return await _token(settings, args.email, args.create, args.role)
    finally:
        await db.close_pool()
