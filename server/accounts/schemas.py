"""Request and response bodies of the auth and profile routes (documented at /schema)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from server.accounts.otp import MAX_EMAIL_CHARS

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=MAX_EMAIL_CHARS)]
# Tokens are a few hundred characters; a cap keeps junk from reaching the decoders.
TokenText = Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]
MAX_NAME_CHARS = 200
MAX_AVATAR_URL_CHARS = 2000
Role = Literal["candidate", "interviewer", "admin"]


class OtpRequest(msgspec.Struct, frozen=True):
    email: Email


class OtpRequested(msgspec.Struct, frozen=True):
    """The same answer whether or not the address has an account."""

    message: str
    expires_in: int


class OtpVerify(msgspec.Struct, frozen=True):
    email: Email
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]


class GoogleLogin(msgspec.Struct, frozen=True):
    id_token: TokenText


class RefreshRequest(msgspec.Struct, frozen=True):
    refresh_token: TokenText


class LogoutRequest(msgspec.Struct, frozen=True):
    refresh_token: TokenText | None = None


class UserView(msgspec.Struct, frozen=True):
    id: uuid.UUID
    email: str
    name: str
    avatar_url: str
    role: str
    google_linked: bool
    created_at: datetime
    last_login: datetime | None
    # Listed on the leaderboard, as `public_name`: the display name, or a stable pseudonym.
    leaderboard: bool = True
    public_name: str = ""


class TokenAnswer(msgspec.Struct, frozen=True):
    access_token: str
    refresh_token: str
    expires_in: int
    user: UserView
    token_type: str = "bearer"  # noqa: S105 - the token type, not a secret
    refresh_expires_in: int = 0


class ProfileUpdate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Fields left out stay as they are; `role` is not accepted here."""

    name: Annotated[str, msgspec.Meta(max_length=MAX_NAME_CHARS)] | None = None
    avatar_url: Annotated[str, msgspec.Meta(max_length=MAX_AVATAR_URL_CHARS)] | None = None
    # False leaves the leaderboard (at once: the ranks are recomputed without you). Spelled as a
    # Literal so that only JSON true and false are taken: a plain `bool` also takes 0, 1 and
    # "true" under Litestar's lax conversion, which the document does not allow.
    leaderboard: Literal[True, False] | None = None


class RoleUpdate(msgspec.Struct, frozen=True):
    role: Role
