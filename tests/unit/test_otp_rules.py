"""The OTP abuse rules that need no I/O: when a request mails a code, how the cap is answered,
and when uvicorn is told to believe X-Forwarded-For."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from server.accounts.otp import (
    OTP_FAILED_GUESSES_PER_EMAIL,
    OTP_MAIL_SPACING_SECS,
    OTP_MAX_WRONG_GUESSES,
    OTP_TTL_SECS,
    mail_due,
)
from server.errors import OtpAttemptsExhausted, RateLimited, coded_error_handler, translate
from server.settings import load_settings

NOW = datetime(2030, 1, 1, tzinfo=UTC)
SPACING = timedelta(seconds=OTP_MAIL_SPACING_SECS)
JUST = timedelta(microseconds=1)


def current(age: timedelta, **changes: Any) -> dict[str, Any]:
    """The address's current code, mailed `age` ago."""
    created = NOW - age
    row = {"created_at": created, "attempts": 0}
    return {**row, "expires_at": created + timedelta(seconds=OTP_TTL_SECS), **changes}


@pytest.mark.parametrize(
    ("row", "due"),
    [
        (None, True),
        (current(timedelta(0)), False),
        (current(SPACING - JUST), False),
        (current(SPACING), True),
        (current(timedelta(0), attempts=OTP_MAX_WRONG_GUESSES - 1), False),
        (current(timedelta(0), attempts=OTP_MAX_WRONG_GUESSES), True),
        (current(timedelta(0), expires_at=NOW), True),
    ],
    ids=[
        "no current code",
        "just mailed",
        "mailed just under the spacing ago",
        "mailed the spacing ago",
        "one guess left",
        "locked",
        "expired",
    ],
)
def test_a_request_mails_a_code_unless_the_current_one_is_fresh_and_works(
    row: dict[str, Any] | None, due: bool
) -> None:
    assert mail_due(row, NOW) is due


def test_the_failed_guess_cap_holds_nist_s_bound_in_any_hour() -> None:
    """A fixed window lets two windows' worth meet at a boundary: both fit in 100."""
    assert OTP_FAILED_GUESSES_PER_EMAIL.window_secs == 3600
    assert 2 * OTP_FAILED_GUESSES_PER_EMAIL.max_hits <= 100


def test_exhausted_attempts_answer_429_with_retry_after() -> None:
    exc = OtpAttemptsExhausted("Too many wrong codes.", retry_after=1200)
    assert isinstance(exc, RateLimited) and translate(exc).status == 429
    response = coded_error_handler(cast("Any", None), exc)
    assert response.status_code == 429 and response.headers["Retry-After"] == "1200"
    error = response.content["error"]
    assert (error["code"], error["retry_after"]) == ("otp_attempts_exhausted", 1200)


@pytest.mark.parametrize(
    ("value", "trusted"),
    [(None, None), ("", None), ("  ", None), ("10.0.0.5", "10.0.0.5"), ("*", "*")],
)
def test_forwarded_headers_are_trusted_only_when_forwarded_allow_ips_is_set(
    tmp_path: Path, value: str | None, trusted: str | None
) -> None:
    environ = {"DATA_DIR": str(tmp_path)}
    if value is not None:
        environ["FORWARDED_ALLOW_IPS"] = value
    assert load_settings(environ).forwarded_allow_ips == trusted
