"""User rows: found or created at login, read and edited as a profile, given a role."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from domain.tables import User
from server.accounts.schemas import MAX_AVATAR_URL_CHARS, MAX_NAME_CHARS, UserView
from server.errors import BadRequest, Conflict, NotFound, TokenInvalid

if TYPE_CHECKING:
    import uuid

# Control (Cc: NUL, ESC of ANSI escapes, newlines), format (Cf: RTL overrides, zero-width),
# surrogate and line/paragraph-separator characters: none belongs in a name shown to others.
_UNPRINTABLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})

COLUMNS = (
    User.id,
    User.email,
    User.name,
    User.avatar_url,
    User.role,
    User.google_id,
    User.created_at,
    User.last_login,
    User.leaderboard,
)
# What others see of a user who has not chosen a display name: never their address.
PSEUDONYM_PREFIX = "Anonymous candidate"


@dataclass(frozen=True)
class GoogleIdentity:
    """What a verified Google ID token says about its holder."""

    subject: str
    email: str
    name: str
    picture: str


def public_name(user_id: uuid.UUID, name: str | None, role: str = "candidate") -> str:
    """The name others see: the chosen display name, or a pseudonym that stays the same for
    the account ("Anonymous candidate 3F9C"), derived from its id and not its address."""
    if name:
        return name[:MAX_NAME_CHARS]
    tag = hashlib.blake2s(user_id.bytes, digest_size=2).hexdigest().upper()
    prefix = PSEUDONYM_PREFIX if role == "candidate" else f"Anonymous {role}"
    return f"{prefix} {tag}"


def view(row: dict[str, Any]) -> UserView:
    return UserView(
        id=row["id"],
        email=row["email"],
        name=row["name"],
        avatar_url=row["avatar_url"],
        role=row["role"],
        google_linked=row["google_id"] is not None,
        created_at=row["created_at"],
        last_login=row["last_login"],
        leaderboard=row["leaderboard"],
        public_name=public_name(row["id"], row["name"]),
    )


async def login_by_email(email: str, now: datetime | None = None) -> dict[str, Any]:
    """The address's user, created on first login; `last_login` set to now."""
    now = now or datetime.now(UTC)
    rows = await (
        User.insert(User(email=email, created_at=now, updated_at=now, last_login=now))
        .on_conflict(target=User.email, action="DO UPDATE", values=[User.last_login])
        .returning(*COLUMNS)
    )
    return dict(rows[0])


async def login_by_google(identity: GoogleIdentity, now: datetime | None = None) -> dict[str, Any]:
    """The Google account's user: found by Google id, else linked by address, else created."""
    now = now or datetime.now(UTC)
    async with User._meta.db.transaction():
        # Serialises two first logins for one address, so neither trips the unique email.
        await User.raw("SELECT pg_advisory_xact_lock(hashtext({}))", f"user:{identity.email}")
        row = await User.select(*COLUMNS).where(User.google_id == identity.subject).first()
        if row is None:
            row = await User.select(*COLUMNS).where(User.email == identity.email).first()
        if row is None:
            return await _create_google_user(identity, now)
        if row["google_id"] not in (None, identity.subject):
            raise Conflict(
                "This address is linked to another Google account.",
                code="google_account_mismatch",
            )
        return await _link_google(row, identity, now)


async def _create_google_user(identity: GoogleIdentity, now: datetime) -> dict[str, Any]:
    user = User(
        email=identity.email,
        google_id=identity.subject,
        name=_google_name(identity.name),
        avatar_url=identity.picture[:MAX_AVATAR_URL_CHARS],
        created_at=now,
        updated_at=now,
        last_login=now,
    )
    rows = await User.insert(user).returning(*COLUMNS)
    return dict(rows[0])


async def _link_google(
    row: dict[str, Any], identity: GoogleIdentity, now: datetime
) -> dict[str, Any]:
    """Links the Google id and fills a blank name or avatar from Google; never overwrites."""
    changes: dict[Any, Any] = {User.google_id: identity.subject, User.last_login: now}
    if not row["name"] and _google_name(identity.name):
        changes[User.name] = _google_name(identity.name)
    if not row["avatar_url"] and identity.picture:
        changes[User.avatar_url] = identity.picture[:MAX_AVATAR_URL_CHARS]
    rows = await User.update(changes).where(User.id == row["id"]).returning(*COLUMNS)
    return dict(rows[0])


async def get_user(user_id: uuid.UUID) -> dict[str, Any]:
    """The caller's row; a token for a deleted account is no longer valid."""
    row = await User.select(*COLUMNS).where(User.id == user_id).first()
    if row is None:
        raise TokenInvalid("The account of this token no longer exists.")
    return dict(row)


def check_avatar_url(url: str) -> str:
    url = url.strip()
    if not url:
        return ""
    parsed = urlparse(url)
    unprintable = any(char.isspace() or not char.isprintable() for char in url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or unprintable:
        raise BadRequest("avatar_url must be an http(s) URL or empty.", code="invalid_avatar_url")
    return url


def _google_name(raw: str) -> str:
    """Google's name for the account, with what `check_display_name` refuses dropped."""
    name = unicodedata.normalize("NFKC", raw)
    kept = "".join(c for c in name if unicodedata.category(c) not in _UNPRINTABLE_CATEGORIES)
    return kept.strip()[:MAX_NAME_CHARS]


def check_display_name(raw: str) -> str:
    """The name as stored: NFKC-normalised and trimmed; BadRequest if it hides any control."""
    name = unicodedata.normalize("NFKC", raw).strip()
    if any(unicodedata.category(char) in _UNPRINTABLE_CATEGORIES for char in name):
        raise BadRequest("name must not contain control or formatting characters.", field="name")
    if len(name) > MAX_NAME_CHARS:
        raise BadRequest(f"name is limited to {MAX_NAME_CHARS} characters.", field="name")
    return name


async def update_profile(
    user_id: uuid.UUID,
    name: str | None,
    avatar_url: str | None,
    now: datetime | None = None,
    leaderboard: bool | None = None,
) -> dict[str, Any]:
    changes: dict[Any, Any] = {User.updated_at: now or datetime.now(UTC)}
    if name is not None:
        changes[User.name] = check_display_name(name)
    if avatar_url is not None:
        changes[User.avatar_url] = check_avatar_url(avatar_url)
    if leaderboard is not None:
        changes[User.leaderboard] = leaderboard
    changes[User.updated_by] = user_id
    rows = await User.update(changes).where(User.id == user_id).returning(*COLUMNS)
    if not rows:
        raise TokenInvalid("The account of this token no longer exists.")
    return dict(rows[0])


async def set_role(
    user_id: uuid.UUID, role: str, by: uuid.UUID | None = None, now: datetime | None = None
) -> dict[str, Any]:
    changes: dict[Any, Any] = {
        User.role: role,
        User.updated_at: now or datetime.now(UTC),
        User.updated_by: by,
    }
    rows = await User.update(changes).where(User.id == user_id).returning(*COLUMNS)
    if not rows:
        raise NotFound("No such user.", code="user_not_found")
    return dict(rows[0])


async def find_or_create(email: str, create: bool, now: datetime | None = None) -> dict[str, Any]:
    """For operators' tools: the address's user, created only when asked."""
    row = await User.select(*COLUMNS).where(User.email == email).first()
    if row is not None:
        return dict(row)
    if not create:
        raise NotFound(f"No user with email {email}.", code="user_not_found")
    now = now or datetime.now(UTC)
    rows = await User.insert(User(email=email, created_at=now, updated_at=now)).returning(*COLUMNS)
    return dict(rows[0])
