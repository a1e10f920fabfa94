"""Email one-time codes (NIST 800-63B §5.1.3): random, short-lived, single use, few guesses.

A code is stored only as an HMAC keyed by the server secret and bound to the address, so a
database leak reveals no usable code. A new code supersedes the address's earlier ones.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from domain.tables import EmailOtp
from server.accounts.ratelimit import Limit
from server.errors import BadRequest, OtpExpired, OtpInvalid, OtpLocked

if TYPE_CHECKING:
    from collections.abc import Callable

    from server.settings import Settings

OTP_DIGITS = 6
# Long enough to switch to the mail app and back; short enough that a leaked mail goes stale.
OTP_TTL_SECS = 10 * 60
# Five wrong guesses leave an attacker a 5-in-a-million chance per code; the sixth is refused.
OTP_MAX_WRONG_GUESSES = 5
# Requests per address: enough for a mistyped code and a slow mail; too few to mail-bomb anyone.
OTP_REQUESTS_PER_EMAIL = Limit("otp-email", max_hits=5, window_secs=15 * 60)
# Requests per client IP: room for a shared office address, still caps one machine's spraying.
OTP_REQUESTS_PER_IP = Limit("otp-ip", max_hits=20, window_secs=15 * 60)
MAX_EMAIL_CHARS = 320
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CODE = re.compile(rf"^\d{{{OTP_DIGITS}}}$")


def normalise_email(raw: str) -> str:
    """The address as stored: trimmed and lower-cased; BadRequest(invalid_email) if malformed.

    Control characters (NUL above all, which Postgres text cannot hold) are an invalid_request
    naming the field, raised before the address reaches the rate limiter or the database.
    """
    email = raw.strip().lower()
    if not email.isprintable():  # NUL and other controls: Postgres text refuses NUL outright
        raise BadRequest("email must not contain control characters.", field="email")
    if len(email) > MAX_EMAIL_CHARS or not _EMAIL.match(email):
        raise BadRequest("That is not an email address.", code="invalid_email")
    return email


def new_code(randbelow: Callable[[int], int] = secrets.randbelow) -> str:
    return f"{randbelow(10**OTP_DIGITS):0{OTP_DIGITS}d}"


def code_digest(secret: str, email: str, code: str) -> str:
    return hmac.new(secret.encode(), f"{email}\n{code}".encode(), hashlib.sha256).hexdigest()


async def issue_code(settings: Settings, email: str, now: datetime | None = None) -> str:
    """Stores a fresh code for the address, retiring its earlier ones; returns the code."""
    now = now or datetime.now(UTC)
    code = new_code()
    async with EmailOtp._meta.db.transaction():
        # Serialises two requests for one address, so only one code is ever left unused.
        await EmailOtp.raw("SELECT pg_advisory_xact_lock(hashtext({}))", f"otp:{email}")
        await EmailOtp.update({EmailOtp.used: True}).where(
            (EmailOtp.email == email) & EmailOtp.used.eq(False)
        )
        await EmailOtp.insert(
            EmailOtp(
                email=email,
                otp_hash=code_digest(settings.jwt_secret, email, code),
                created_at=now,
                expires_at=now + timedelta(seconds=OTP_TTL_SECS),
            )
        )
    return code


class Verdict(enum.Enum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    NO_CODE = "no_code"
    EXPIRED = "expired"
    LOCKED = "locked"


def judge(row: dict[str, Any] | None, digest: str, now: datetime) -> Verdict:
    """What a guess at the address's current code amounts to; pure."""
    if row is None:
        return Verdict.NO_CODE
    if row["attempts"] >= OTP_MAX_WRONG_GUESSES:
        return Verdict.LOCKED
    if row["expires_at"] <= now:
        return Verdict.EXPIRED
    if hmac.compare_digest(row["otp_hash"], digest):
        return Verdict.ACCEPTED
    return Verdict.WRONG


async def consume_code(
    settings: Settings, email: str, code: str, now: datetime | None = None
) -> None:
    """Returns if the code is the address's current one; else raises an otp_* error."""
    now = now or datetime.now(UTC)
    code = code.strip()
    digest = code_digest(settings.jwt_secret, email, code if _CODE.match(code) else "")
    async with EmailOtp._meta.db.transaction():
        row = await (
            EmailOtp.select(EmailOtp.id, EmailOtp.otp_hash, EmailOtp.expires_at, EmailOtp.attempts)
            .where((EmailOtp.email == email) & EmailOtp.used.eq(False))
            .order_by(EmailOtp.created_at, ascending=False)
            .lock_rows()
            .first()
        )
        verdict = judge(row, digest, now)
        attempts = await _record(email, row, verdict)
    # Raised after the commit: a wrong guess must count even though the request fails.
    _raise_for(verdict, attempts)


async def _record(email: str, row: dict[str, Any] | None, verdict: Verdict) -> int:
    if row is None:
        return 0
    if verdict is Verdict.ACCEPTED:
        await EmailOtp.update({EmailOtp.used: True}).where(
            (EmailOtp.email == email) & EmailOtp.used.eq(False)
        )
    elif verdict is Verdict.WRONG:
        await EmailOtp.update({EmailOtp.attempts: EmailOtp.attempts + 1}).where(
            EmailOtp.id == row["id"]
        )
        return int(row["attempts"]) + 1
    return int(row["attempts"])


def _raise_for(verdict: Verdict, attempts: int) -> None:
    if verdict is Verdict.ACCEPTED:
        return
    if verdict is Verdict.LOCKED:
        raise OtpLocked("Too many wrong guesses; request a new code.")
    if verdict is Verdict.EXPIRED:
        raise OtpExpired("The code has expired; request a new one.")
    if verdict is Verdict.WRONG:
        left = OTP_MAX_WRONG_GUESSES - attempts
        raise OtpInvalid("The code is not correct.", attempts_left=left)
    raise OtpInvalid("The code is not correct.")
