"""Access tokens: short-lived HS256 JWTs naming the user, their role and the auth session.

No I/O here; whether the session was revoked is the caller's check (`guards.py`).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import jwt

from domain.tables import UserRole
from server.errors import TokenExpired, TokenInvalid

if TYPE_CHECKING:
    from server.settings import Settings

# Pinned: a token naming any other algorithm, `none` included, is refused before its signature
# is looked at. HS256 because only this server both signs and verifies.
ACCESS_TOKEN_ALGORITHM = "HS256"  # noqa: S105 - names, not secrets
ACCESS_TOKEN_AUDIENCE = "interview-rooms"  # noqa: S105
ACCESS_TOKEN_ISSUER = "interview-rooms"  # noqa: S105
REQUIRED_CLAIMS = ("sub", "role", "sid", "exp", "iat", "jti", "iss", "aud")
# App processes may run on machines whose clocks differ by a little; not more than this.
CLOCK_SKEW_SECS = 5
ROLES = frozenset(role.value for role in UserRole)


@dataclass(frozen=True)
class Principal:
    """The caller an access token speaks for."""

    user_id: uuid.UUID
    role: str
    sid: uuid.UUID
    # Unix seconds; 0 for a principal not read from a token (one about to be issued).
    expires_at: int = field(default=0, compare=False)


@dataclass(frozen=True)
class IssuedAccessToken:
    token: str
    expires_in: int


def issue_access_token(
    settings: Settings, principal: Principal, now: datetime | None = None
) -> IssuedAccessToken:
    now = now or datetime.now(UTC)
    ttl = settings.access_token_ttl_secs
    claims = {
        "sub": str(principal.user_id),
        "role": principal.role,
        "sid": str(principal.sid),
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl)).timestamp()),
        "jti": secrets.token_urlsafe(16),
        "iss": ACCESS_TOKEN_ISSUER,
        "aud": ACCESS_TOKEN_AUDIENCE,
    }
    token = jwt.encode(claims, settings.jwt_secret, algorithm=ACCESS_TOKEN_ALGORITHM)
    return IssuedAccessToken(token=token, expires_in=ttl)


def decode_access_token(settings: Settings, token: str) -> Principal:
    """The principal of a valid token; TokenExpired or TokenInvalid otherwise."""
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=[ACCESS_TOKEN_ALGORITHM],
            audience=ACCESS_TOKEN_AUDIENCE,
            issuer=ACCESS_TOKEN_ISSUER,
            leeway=CLOCK_SKEW_SECS,
            options={"require": list(REQUIRED_CLAIMS)},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenExpired("The access token has expired; refresh it.") from exc
    except jwt.InvalidTokenError as exc:
        raise TokenInvalid("The access token is not valid.") from exc
    return _principal(claims)


def _principal(claims: dict[str, Any]) -> Principal:
    try:
        principal = Principal(
            user_id=uuid.UUID(str(claims["sub"])),
            role=str(claims["role"]),
            sid=uuid.UUID(str(claims["sid"])),
            expires_at=int(claims["exp"]),
        )
    except ValueError as exc:
        raise TokenInvalid("The access token is not valid.") from exc
    if principal.role not in ROLES:
        raise TokenInvalid("The access token is not valid.")
    return principal
