"""OTP abuse, through the sign-in service on real Postgres, Redis and SMTP, with `now` passed in:
attackers on other IPs cannot keep the owner from a code, and failed guesses are capped per
address across fresh codes until the window has passed."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, cast

import pytest
import redis.asyncio as aioredis

from server.accounts.otp import (
    OTP_FAILED_GUESSES_PER_EMAIL,
    OTP_MAIL_SPACING_SECS,
    OTP_MAX_WRONG_GUESSES,
)
from server.accounts.refresh_families import ClientInfo
from server.accounts.service import request_otp, verify_otp
from server.errors import OtpAttemptsExhausted, OtpInvalid, OtpLocked, Unavailable
from server.operations.embedded import free_port
from server.settings import Settings, load_settings
from tests.support.smtp import SmtpServer

if TYPE_CHECKING:
    from server.context import AppContext

SPACING = timedelta(seconds=OTP_MAIL_SPACING_SECS)
CAP = OTP_FAILED_GUESSES_PER_EMAIL.max_hits
WINDOW = timedelta(seconds=OTP_FAILED_GUESSES_PER_EMAIL.window_secs)
OWNER = ClientInfo(ip="203.0.113.7", user_agent="owner")


@dataclass
class OtpContext:
    """The parts of the app context the sign-in service uses."""

    settings: Settings
    redis: aioredis.Redis


@pytest.fixture
async def ctx(app_env: dict[str, str]) -> AsyncIterator[AppContext]:
    settings = load_settings(app_env)
    async with aioredis.Redis.from_url(app_env["REDIS_URL"]) as redis:
        yield cast("AppContext", OtpContext(settings, redis))


def attacker(n: int) -> ClientInfo:
    return ClientInfo(ip=f"198.51.100.{n % 250 + 1}", user_agent=f"attacker-{n}")


def new_address() -> str:
    return f"abuse-{secrets.token_hex(5)}@example.com"


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


async def guess(ctx: AppContext, address: str, code: str, now: datetime) -> str:
    """The error code the guess is refused with, or "signed_in"."""
    try:
        await verify_otp(ctx, address, code, OWNER, now=now)
    except (OtpInvalid, OtpLocked, OtpAttemptsExhausted) as refused:
        return refused.code
    return "signed_in"


async def test_attackers_on_other_ips_never_keep_the_owner_from_a_working_code(
    ctx: AppContext, smtp: SmtpServer
) -> None:
    """Ten minutes of a new IP every ten seconds: the address gets one mail a minute, and the
    owner, on their own IP, is answered like anyone and signs in with the newest mail."""
    victim, t0 = new_address(), datetime.now(UTC)
    for step in range(60):
        now = t0 + timedelta(seconds=10 * step)
        spam = await request_otp(ctx, victim, attacker(step), now=now)
        assert len(smtp.to(victim)) == step // 6 + 1
    now = t0 + timedelta(seconds=595)
    answer = await request_otp(ctx, victim, OWNER, now=now)
    assert answer == spam and len(smtp.to(victim)) == 10, "the owner's ask mailed nothing new"
    assert await guess(ctx, victim, smtp.code_for(victim), now) == "signed_in"


async def test_failed_guesses_across_fresh_codes_are_capped_until_the_window_passes(
    ctx: AppContext, smtp: SmtpServer
) -> None:
    """An attacker rotating IPs and codes, never locking one (four wrong guesses each), is
    stopped at the cap; the right code is then refused too, until the window is over."""
    address, t0 = new_address(), datetime.now(UTC)
    now, failures, codes = t0, 0, 0
    while failures < CAP:
        await request_otp(ctx, address, attacker(codes), now=now)
        code, codes = smtp.code_for(address), codes + 1
        for _ in range(min(OTP_MAX_WRONG_GUESSES - 1, CAP - failures)):
            assert await guess(ctx, address, wrong(code), now) == "otp_invalid"
            failures += 1
        now += SPACING
    assert codes == -(-CAP // (OTP_MAX_WRONG_GUESSES - 1)) and len(smtp.to(address)) == codes

    await request_otp(ctx, address, OWNER, now=now)
    right = smtp.code_for(address)
    with pytest.raises(OtpAttemptsExhausted) as refused:
        await verify_otp(ctx, address, right, OWNER, now=now)
    assert refused.value.fields["retry_after"] == (t0 + WINDOW - now).total_seconds()
    just_before = t0 + WINDOW - timedelta(seconds=1)
    assert await guess(ctx, address, right, just_before) == "otp_attempts_exhausted"

    await request_otp(ctx, address, OWNER, now=t0 + WINDOW)
    assert await guess(ctx, address, smtp.code_for(address), t0 + WINDOW) == "signed_in"


async def test_guesses_sent_at_once_never_pass_the_cap(ctx: AppContext, smtp: SmtpServer) -> None:
    address, now = new_address(), datetime.now(UTC)
    await request_otp(ctx, address, OWNER, now=now)
    code = smtp.code_for(address)
    for _ in range(CAP - 2):
        await guess(ctx, address, wrong(code), now)
    answers = await asyncio.gather(*(guess(ctx, address, wrong(code), now) for _ in range(10)))
    assert sorted(answers) == ["otp_attempts_exhausted"] * 8 + ["otp_locked"] * 2


async def test_a_mail_that_could_not_be_sent_does_not_hold_back_the_next(
    ctx: AppContext, smtp: SmtpServer, app_env: dict[str, str]
) -> None:
    address, now = new_address(), datetime.now(UTC)
    broken = cast(
        "AppContext",
        OtpContext(load_settings({**app_env, "SMTP_PORT": str(free_port())}), ctx.redis),
    )
    with pytest.raises(Unavailable):
        await request_otp(broken, address, OWNER, now=now)
    now += timedelta(seconds=1)
    await request_otp(ctx, address, OWNER, now=now)
    assert len(smtp.to(address)) == 1, "the unsent code did not hold the next one back"
    assert await guess(ctx, address, smtp.code_for(address), now) == "signed_in"
