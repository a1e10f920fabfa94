"""Refresh-token families (RFC 9700 §4.14.2) and the revocation set access tokens are checked in.

A login starts a family; every refresh rotates the presented token into a successor in the same
family. A token presented again after it was rotated means two parties hold it, so the whole
family is revoked — except within a short grace window, where the same successor is handed out
again (two tabs refreshing at once both succeed and end up holding the same token). That
successor is kept in Redis for the window, encrypted under a key only the old token derives.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import os
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.tables import UserAuthSession
from server.accounts import live
from server.errors import TokenExpired, TokenInvalid, TokenRevoked

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from server.context import AppContext
    from server.settings import Settings

# 256 bits from `secrets`: unguessable, and stored only as its SHA-256.
REFRESH_TOKEN_BYTES = 32
SUCCESSOR_KEY = "auth:successor:{digest}"
# The successor outlives the grace window by this much, so the database's window decides.
SUCCESSOR_MARGIN_SECS = 2.0
_NONCE_BYTES = 12


@dataclass(frozen=True)
class IssuedRefresh:
    user_id: uuid.UUID
    family_id: uuid.UUID
    token: str
    expires_in: int


@dataclass(frozen=True)
class ClientInfo:
    ip: str = ""
    user_agent: str = ""


class Presented(enum.Enum):
    FRESH = "fresh"
    IN_GRACE = "in_grace"
    REUSED = "reused"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def start(
    settings: Settings, user_id: uuid.UUID, client: ClientInfo, now: datetime | None = None
) -> IssuedRefresh:
    """A new family with its first refresh token: one login."""
    return await _insert(settings, user_id, uuid.uuid4(), client, now or datetime.now(UTC))


async def _insert(
    settings: Settings,
    user_id: uuid.UUID,
    family_id: uuid.UUID,
    client: ClientInfo,
    now: datetime,
    row_id: uuid.UUID | None = None,
) -> IssuedRefresh:
    token = secrets.token_urlsafe(REFRESH_TOKEN_BYTES)
    ttl = settings.refresh_token_ttl_secs
    await UserAuthSession.insert(
        UserAuthSession(
            id=row_id or uuid.uuid4(),
            created_at=now,
            user_id=user_id,
            family_id=family_id,
            refresh_token=hash_token(token),
            expires_at=now + timedelta(seconds=ttl),
            user_agent=client.user_agent[:400],
            ip=client.ip[:64],
        )
    )
    return IssuedRefresh(user_id=user_id, family_id=family_id, token=token, expires_in=ttl)


def classify(row: dict[str, Any] | None, now: datetime, grace_secs: float) -> Presented:
    """What presenting this token means; raises for unknown, revoked and expired ones. Pure."""
    if row is None:
        raise TokenInvalid("The refresh token is not valid.")
    if row["revoked_at"] is not None:
        raise TokenRevoked("The session has ended; sign in again.")
    if row["expires_at"] <= now:
        raise TokenExpired("The refresh token has expired; sign in again.")
    if row["rotated_at"] is None:
        return Presented.FRESH
    if now - row["rotated_at"] < timedelta(seconds=grace_secs):
        return Presented.IN_GRACE
    return Presented.REUSED


async def rotate(
    ctx: AppContext, token: str, client: ClientInfo, now: datetime | None = None
) -> IssuedRefresh:
    """The presented token's successor; a replay past the grace window revokes the family."""
    now = now or datetime.now(UTC)
    settings = ctx.settings
    digest = hash_token(token)
    async with UserAuthSession._meta.db.transaction():
        row = await (
            UserAuthSession.select()
            .where(UserAuthSession.refresh_token == digest)
            .lock_rows()
            .first()
        )
        presented = classify(row, now, settings.auth_refresh_grace_secs)
        assert row is not None
        fresh = presented is Presented.FRESH
        successor = await _rotate_row(ctx, row, token, client, now) if fresh else None
    if successor is not None:
        return successor
    if presented is Presented.IN_GRACE:
        recalled = await _recall_successor(ctx, row, token)
        if recalled is not None:
            return recalled
    await revoke_family(ctx, row["family_id"], now)
    raise TokenRevoked("This refresh token was already used; the session has been ended.")


async def _rotate_row(
    ctx: AppContext, row: dict[str, Any], token: str, client: ClientInfo, now: datetime
) -> IssuedRefresh:
    successor_id = uuid.uuid4()
    successor = await _insert(
        ctx.settings, row["user_id"], row["family_id"], client, now, successor_id
    )
    await UserAuthSession.update(
        {UserAuthSession.rotated_at: now, UserAuthSession.replaced_by: successor_id}
    ).where(UserAuthSession.id == row["id"])
    # Written before the commit: whoever sees the row rotated also finds its successor.
    await _remember_successor(ctx, token, successor.token)
    return successor


def _successor_cipher(settings: Settings, old_token: str) -> AESGCM:
    key = hmac.new(
        settings.jwt_secret.encode(), b"refresh-successor\n" + old_token.encode(), hashlib.sha256
    ).digest()
    return AESGCM(key)


async def _remember_successor(ctx: AppContext, old_token: str, new_token: str) -> None:
    nonce = os.urandom(_NONCE_BYTES)
    sealed = nonce + _successor_cipher(ctx.settings, old_token).encrypt(
        nonce, new_token.encode(), None
    )
    ttl_ms = int((ctx.settings.auth_refresh_grace_secs + SUCCESSOR_MARGIN_SECS) * 1000)
    key = SUCCESSOR_KEY.format(digest=hash_token(old_token))
    await ctx.redis.set(key, sealed, px=ttl_ms)


async def _recall_successor(
    ctx: AppContext, row: dict[str, Any], old_token: str
) -> IssuedRefresh | None:
    sealed = await ctx.redis.get(SUCCESSOR_KEY.format(digest=hash_token(old_token)))
    if not isinstance(sealed, bytes):
        return None
    nonce, body = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
    try:
        token = _successor_cipher(ctx.settings, old_token).decrypt(nonce, body, None)
    except InvalidTag:
        return None
    return IssuedRefresh(
        user_id=row["user_id"],
        family_id=row["family_id"],
        token=token.decode(),
        expires_in=ctx.settings.refresh_token_ttl_secs,
    )


async def family_of(token: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    """(user_id, family_id) of a refresh token, whatever its state."""
    row = await (
        UserAuthSession.select(UserAuthSession.user_id, UserAuthSession.family_id)
        .where(UserAuthSession.refresh_token == hash_token(token))
        .first()
    )
    return None if row is None else (row["user_id"], row["family_id"])


async def revoke_family(ctx: AppContext, family_id: uuid.UUID, now: datetime | None = None) -> None:
    await UserAuthSession.update({UserAuthSession.revoked_at: now or datetime.now(UTC)}).where(
        (UserAuthSession.family_id == family_id) & UserAuthSession.revoked_at.is_null()
    )
    await mark_revoked(ctx, [family_id])


async def revoke_user(ctx: AppContext, user_id: uuid.UUID, now: datetime | None = None) -> None:
    """Ends every session of the user: all refresh tokens, and their access tokens in Redis."""
    rows = (
        await UserAuthSession.update({UserAuthSession.revoked_at: now or datetime.now(UTC)})
        .where((UserAuthSession.user_id == user_id) & UserAuthSession.revoked_at.is_null())
        .returning(UserAuthSession.family_id)
    )
    await mark_revoked(ctx, list({row["family_id"] for row in rows}))


async def mark_revoked(ctx: AppContext, sids: list[uuid.UUID]) -> None:
    """Access tokens of these sessions stop working, and their open sockets close."""
    await live.revoke_sids(ctx.redis, ctx.settings, sids)


async def is_revoked(redis: aioredis.Redis, sid: uuid.UUID) -> bool:
    return bool(await redis.exists(live.REVOKED_SID_KEY.format(sid=sid)))
