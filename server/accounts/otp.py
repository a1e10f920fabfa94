"""Email one-time codes (NIST 800-63B §5.1.3): random, short-lived, single use, few guesses.

A code is stored only as an HMAC keyed by the server secret and bound to the address, so a
database leak reveals no usable code. A new code supersedes the address's earlier ones, but a
request sends one only if the address's current code is used up or OTP_MAIL_SPACING_SECS old:
whoever asks, the newest mail in the inbox holds the code that works. Failed guesses are capped
per address across codes and processes (OTP_FAILED_GUESSES_PER_EMAIL, counted in Redis).
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
from server.accounts import ratelimit
from server.accounts.ratelimit import Limit
from server.errors import BadRequest, OtpAttemptsExhausted, OtpExpired, OtpInvalid, OtpLocked

if TYPE_CHECKING:
    from collections.abc import Callable

    import redis.asyncio as aioredis

    from server.settings import Settings

OTP_DIGITS = 6
# Long enough to switch to the mail app and back; short enough that a leaked mail goes stale.
OTP_TTL_SECS = 10 * 60
# Five wrong guesses leave an attacker a 5-in-a-million chance per code; the sixth is refused.
OTP_MAX_WRONG_GUESSES = 5
# Failed verifications per address, whatever the code and the client: ten codes' worth of
# typos. A fixed window, so any 60 minutes hold at most 100 (NIST 800-63B §5.2.2's bound).
OTP_FAILED_GUESSES_PER_EMAIL = Limit("otp-failed-email", max_hits=50, window_secs=60 * 60)
# Requests per client IP: room for a shared office address, still caps one machine's spraying.
OTP_REQUESTS_PER_IP = Limit("otp-ip", max_hits=20, window_secs=15 * 60)
# Requests per client IP and address: a mistyped code and a slow mail, never a mail bomb. The
# requester is throttled, not the address, so nobody elsewhere can use up the owner's requests.
OTP_REQUESTS_PER_IP_AND_EMAIL = Limit("otp-ip-email", max_hits=5, window_secs=15 * 60)
# An address gets at most one mail this often while its code still works, however many clients
# ask: a bound on mail from any number of IPs that only ever delays the owner, who already holds
# the code in the newest mail (a used, locked or expired code is replaced at once).
OTP_MAIL_SPACING_SECS = 60
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


def mail_due(row: dict[str, Any] | None, now: datetime) -> bool:
    """Whether a request mails a new code, given the address's current one; pure.

    Not while the current code is younger than OTP_MAIL_SPACING_SECS and can still sign in.
    """
    if row is None:
        return True
    fresh = now - row["created_at"] < timedelta(seconds=OTP_MAIL_SPACING_SECS)
    usable = row["attempts"] < OTP_MAX_WRONG_GUESSES and row["expires_at"] > now
    return not (fresh and usable)


async def _lock_address(email: str) -> None:
    """Serialises requests and guesses for one address across processes, to the commit."""
    await EmailOtp.raw("SELECT pg_advisory_xact_lock(hashtext({}))", f"otp:{email}")


async def _current_row(email: str) -> dict[str, Any] | None:
    return await (
        EmailOtp.select(
            EmailOtp.id,
            EmailOtp.otp_hash,
            EmailOtp.created_at,
            EmailOtp.expires_at,
            EmailOtp.attempts,
        )
        .where((EmailOtp.email == email) & EmailOtp.used.eq(False))
        .order_by(EmailOtp.created_at, ascending=False)
        .lock_rows()
        .first()
    )


async def issue_code(settings: Settings, email: str, now: datetime | None = None) -> str | None:
    """Stores a fresh code for the address, retiring its earlier ones, and returns it; None
    (nothing to mail) if `mail_due` says the current code stands."""
    now = now or datetime.now(UTC)
    async with EmailOtp._meta.db.transaction():
        # Only one code is ever left unused, and two requests at once mail it once.
        await _lock_address(email)
        if not mail_due(await _current_row(email), now):
            return None
        code = new_code()
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


async def retire_code(settings: Settings, email: str, code: str) -> None:
    """Retires a code whose mail failed, so the next request mails a new one at once."""
    digest = code_digest(settings.jwt_secret, email, code)
    await EmailOtp.update({EmailOtp.used: True}).where(
        (EmailOtp.email == email) & (EmailOtp.otp_hash == digest)
    )


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
    settings: Settings,
    redis: aioredis.Redis,
    email: str,
    code: str,
    now: datetime | None = None,
) -> None:
    """Returns if the code is the address's current one; else raises an otp_* error.

    Every verification that does not sign in counts against OTP_FAILED_GUESSES_PER_EMAIL; past
    it, OtpAttemptsExhausted is raised before the code is even looked at.
    """
    now = now or datetime.now(UTC)
    code = code.strip()
    digest = code_digest(settings.jwt_secret, email, code if _CODE.match(code) else "")
    async with EmailOtp._meta.db.transaction():
        # Guesses at one address take turns, so the cap is exact however many arrive at once.
        await _lock_address(email)
        await _refuse_if_exhausted(redis, email, now)
        row = await _current_row(email)
        verdict = judge(row, digest, now)
        attempts = await _record(email, row, verdict)
        if verdict is not Verdict.ACCEPTED:
            await ratelimit.hit(redis, OTP_FAILED_GUESSES_PER_EMAIL, email, now.timestamp())
    # Raised after the commit: a wrong guess must count even though the request fails.
    _raise_for(verdict, attempts)


async def _refuse_if_exhausted(redis: aioredis.Redis, email: str, now: datetime) -> None:
    wait = await ratelimit.blocked_for(redis, OTP_FAILED_GUESSES_PER_EMAIL, email, now.timestamp())
    if wait:
        minutes = -(-wait // 60)
        raise OtpAttemptsExhausted(
            f"Too many wrong codes for this address; try again in {minutes} "
            f"minute{'' if minutes == 1 else 's'}.",
            retry_after=wait,
        )


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
