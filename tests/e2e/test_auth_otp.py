"""Email one-time codes through the running app and a real SMTP server."""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from domain.tables import EmailOtp, User
from server.accounts import mailer
from server.accounts.otp import (
    OTP_FAILED_GUESSES_PER_EMAIL,
    OTP_MAIL_SPACING_SECS,
    OTP_MAX_WRONG_GUESSES,
    OTP_REQUESTS_PER_IP,
    OTP_REQUESTS_PER_IP_AND_EMAIL,
    code_digest,
)
from server.errors import Unavailable, translate
from server.operations.embedded import free_port
from server.settings import load_settings
from tests.support.smtp import SmtpServer, bearer, client_ip, sign_in


def new_address() -> str:
    return f"otp-{secrets.token_hex(5)}@example.com"


async def request_code(
    http: httpx.AsyncClient, address: str, ip: str | None = None
) -> httpx.Response:
    headers = {"X-Forwarded-For": ip or client_ip()}
    return await http.post("/auth/otp/request", json={"email": address}, headers=headers)


async def verify(http: httpx.AsyncClient, address: str, code: str) -> httpx.Response:
    return await http.post("/auth/otp/verify", json={"email": address, "code": code})


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


async def test_a_new_user_signs_in_with_the_mailed_code(
    http: httpx.AsyncClient, smtp: SmtpServer
) -> None:
    address = new_address()
    requested = await request_code(http, address)
    assert requested.status_code == 202
    mail = smtp.latest(address)
    assert mail["Subject"] and mail.get_body(preferencelist=("html",)) is not None
    code = smtp.code_for(address)
    assert code in mail.get_body(preferencelist=("html",)).get_content()

    answer = (await verify(http, address, code)).json()
    assert answer["token_type"] == "bearer" and answer["expires_in"] == 15 * 60
    assert answer["access_token"] and answer["refresh_token"]
    user = answer["user"]
    assert (user["email"], user["role"], user["google_linked"]) == (address, "candidate", False)
    assert user["last_login"] is not None

    me = await http.get("/me", headers=bearer(answer))
    assert me.status_code == 200 and me.json()["id"] == user["id"]


async def test_signing_in_again_keeps_the_account_and_moves_last_login(
    http: httpx.AsyncClient, smtp: SmtpServer
) -> None:
    address = new_address()
    first = (await sign_in(http, smtp, address))["user"]
    second = (await sign_in(http, smtp, address))["user"]
    assert second["id"] == first["id"]
    assert second["last_login"] > first["last_login"]
    assert await User.count().where(User.email == address) == 1


async def test_the_answer_is_the_same_for_known_and_unknown_addresses(
    http: httpx.AsyncClient, smtp: SmtpServer
) -> None:
    known = new_address()
    await sign_in(http, smtp, known)
    for_known = await request_code(http, known)
    for_unknown = await request_code(http, new_address())
    assert for_known.status_code == for_unknown.status_code == 202
    assert for_known.json() == for_unknown.json()


async def test_addresses_are_trimmed_and_lower_cased(
    http: httpx.AsyncClient, smtp: SmtpServer
) -> None:
    address = new_address()
    answer = await sign_in(http, smtp, f"  {address.upper()} ")
    assert answer["user"]["email"] == address


async def test_a_malformed_address_is_refused(http: httpx.AsyncClient) -> None:
    response = await request_code(http, "not-an-address")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_email"


async def test_the_code_is_stored_only_as_an_hmac(
    http: httpx.AsyncClient, smtp: SmtpServer, app_env: dict[str, str]
) -> None:
    address = new_address()
    await request_code(http, address)
    code = smtp.code_for(address)
    row = await EmailOtp.select().where(EmailOtp.email == address).first()
    assert row is not None and code not in row["otp_hash"]
    assert row["otp_hash"] == code_digest(load_settings(app_env).jwt_secret, address, code)
    lifetime = row["expires_at"] - row["created_at"]
    assert lifetime == timedelta(minutes=10)


async def test_a_code_works_once(http: httpx.AsyncClient, smtp: SmtpServer) -> None:
    address = new_address()
    await request_code(http, address)
    code = smtp.code_for(address)
    assert (await verify(http, address, code)).status_code == 200
    again = await verify(http, address, code)
    assert again.status_code == 400 and again.json()["error"]["code"] == "otp_invalid"


async def a_minute_passes(address: str) -> None:
    """Backdates the address's codes by the mail spacing, as if that long had gone by."""
    await EmailOtp.update(
        {EmailOtp.created_at: EmailOtp.created_at - timedelta(seconds=OTP_MAIL_SPACING_SECS)}
    ).where(EmailOtp.email == address)


async def test_a_new_request_supersedes_the_earlier_code(
    http: httpx.AsyncClient, smtp: SmtpServer
) -> None:
    address = new_address()
    await request_code(http, address)
    old = smtp.code_for(address)
    await a_minute_passes(address)
    await request_code(http, address)
    assert len(smtp.to(address)) == 2
    new = smtp.code_for(address)
    if old != new:  # one in a million they are the same
        refused = await verify(http, address, old)
        assert refused.json()["error"]["code"] == "otp_invalid"
    assert (await verify(http, address, new)).status_code == 200


async def test_a_request_within_the_spacing_mails_nothing_and_the_code_in_the_inbox_works(
    http: httpx.AsyncClient, smtp: SmtpServer
) -> None:
    address = new_address()
    first = await request_code(http, address)
    again = await request_code(http, address)
    assert again.status_code == 202 and again.json() == first.json()
    assert len(smtp.to(address)) == 1
    assert (await verify(http, address, smtp.code_for(address))).status_code == 200


async def test_a_locked_code_is_replaced_at_once(http: httpx.AsyncClient, smtp: SmtpServer) -> None:
    address = new_address()
    await request_code(http, address)
    locked = smtp.code_for(address)
    for _ in range(OTP_MAX_WRONG_GUESSES):
        await verify(http, address, wrong(locked))
    assert (await request_code(http, address)).status_code == 202
    assert len(smtp.to(address)) == 2, "the spacing holds back only a code that still works"
    assert (await verify(http, address, smtp.code_for(address))).status_code == 200


async def test_the_sixth_wrong_guess_finds_the_code_locked(
    http: httpx.AsyncClient, smtp: SmtpServer
) -> None:
    address = new_address()
    await request_code(http, address)
    code = smtp.code_for(address)
    for guess in range(1, OTP_MAX_WRONG_GUESSES + 1):
        response = await verify(http, address, wrong(code))
        error = response.json()["error"]
        assert (response.status_code, error["code"]) == (400, "otp_invalid")
        assert error["attempts_left"] == OTP_MAX_WRONG_GUESSES - guess
    sixth = await verify(http, address, wrong(code))
    assert sixth.json()["error"]["code"] == "otp_locked"
    correct = await verify(http, address, code)
    assert (correct.status_code, correct.json()["error"]["code"]) == (400, "otp_locked")


async def test_wrong_guesses_count_even_when_sent_at_once(
    http: httpx.AsyncClient, smtp: SmtpServer
) -> None:
    address = new_address()
    await request_code(http, address)
    code = smtp.code_for(address)
    guesses = OTP_MAX_WRONG_GUESSES + 3
    answers = await asyncio.gather(*(verify(http, address, wrong(code)) for _ in range(guesses)))
    codes = sorted(answer.json()["error"]["code"] for answer in answers)
    assert codes == ["otp_invalid"] * OTP_MAX_WRONG_GUESSES + ["otp_locked"] * 3


async def test_an_expired_code_is_refused(http: httpx.AsyncClient, smtp: SmtpServer) -> None:
    address = new_address()
    await request_code(http, address)
    code = smtp.code_for(address)
    # Ten minutes pass.
    await EmailOtp.update({EmailOtp.expires_at: datetime.now(UTC) - timedelta(seconds=1)}).where(
        EmailOtp.email == address
    )
    response = await verify(http, address, code)
    assert (response.status_code, response.json()["error"]["code"]) == (400, "otp_expired")


@pytest.mark.parametrize("code", ["123456", "12345", "abcdef"])
async def test_an_address_without_a_code_gets_otp_invalid(
    http: httpx.AsyncClient, code: str
) -> None:
    response = await verify(http, new_address(), code)
    assert (response.status_code, response.json()["error"]["code"]) == (400, "otp_invalid")


async def test_requests_per_client_and_address_are_limited_with_retry_after(
    http: httpx.AsyncClient,
) -> None:
    address, ip = new_address(), client_ip()
    for _ in range(OTP_REQUESTS_PER_IP_AND_EMAIL.max_hits):
        assert (await request_code(http, address, ip)).status_code == 202
    limited = await request_code(http, address, ip)
    assert limited.status_code == 429
    retry_after = int(limited.headers["Retry-After"])
    assert 0 < retry_after <= OTP_REQUESTS_PER_IP_AND_EMAIL.window_secs
    error = limited.json()["error"]
    assert error["code"] == "rate_limited" and error["retry_after"] == retry_after
    assert (await request_code(http, new_address(), ip)).status_code == 202
    assert (await request_code(http, address)).status_code == 202, "another client still asks"


async def test_an_attacker_on_other_ips_cannot_keep_the_owner_from_signing_in(
    http: httpx.AsyncClient, smtp: SmtpServer
) -> None:
    """The old per-address limit: five requests from anywhere locked the owner out."""
    victim = new_address()
    for attacker in [client_ip() for _ in range(4)]:
        answers = [
            await request_code(http, victim, attacker)
            for _ in range(OTP_REQUESTS_PER_IP_AND_EMAIL.max_hits + 2)
        ]
        assert [a.status_code for a in answers][-2:] == [429, 429], "each attacker is stopped"
    assert len(smtp.to(victim)) == 1, "however many ask, one mail per spacing"

    owner = await request_code(http, victim, client_ip())
    assert owner.status_code == 202 and owner.json() == answers[0].json()
    signed_in = await verify(http, victim, smtp.code_for(victim))
    assert signed_in.status_code == 200 and signed_in.json()["user"]["email"] == victim


async def test_failed_guesses_per_address_are_capped_and_even_the_right_code_waits(
    http: httpx.AsyncClient, smtp: SmtpServer
) -> None:
    address = new_address()
    await request_code(http, address)
    first = smtp.code_for(address)
    answers = [
        (await verify(http, address, wrong(first))).json()["error"]["code"]
        for _ in range(OTP_FAILED_GUESSES_PER_EMAIL.max_hits)
    ]
    assert set(answers) == {"otp_invalid", "otp_locked"}, "every refusal counts"
    await request_code(http, address)  # the locked code is replaced at once
    right = smtp.code_for(address)

    refused = await verify(http, address, right)
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "otp_attempts_exhausted"
    retry_after = int(refused.headers["Retry-After"])
    assert error["retry_after"] == retry_after
    assert 0 < retry_after <= OTP_FAILED_GUESSES_PER_EMAIL.window_secs
    current = await EmailOtp.select(EmailOtp.attempts).where(
        (EmailOtp.email == address) & EmailOtp.used.eq(False)
    )
    assert current == [{"attempts": 0}], "the refused code was not even looked at"


async def test_requests_per_client_ip_are_limited(http: httpx.AsyncClient) -> None:
    ip = client_ip()
    for _ in range(OTP_REQUESTS_PER_IP.max_hits):
        assert (await request_code(http, new_address(), ip)).status_code == 202
    limited = await request_code(http, new_address(), ip)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert (await request_code(http, new_address())).status_code == 202


async def test_without_smtp_the_code_is_logged_in_development_only(
    app_env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    development = load_settings({**app_env, "SMTP_HOST": "", "ENV": "development"})
    with caplog.at_level(logging.WARNING, logger=mailer.log.name):
        await mailer.send_code(development, "dev@example.com", "024680", 10)
    assert "dev@example.com" in caplog.text and "024680" in caplog.text

    caplog.clear()
    production = load_settings({**app_env, "SMTP_HOST": "", "ENV": "production"})
    with pytest.raises(Unavailable) as refused:
        await mailer.send_code(production, "prod@example.com", "135791", 10)
    assert refused.value.code == "email_unavailable" and "135791" not in caplog.text


async def test_an_unreachable_mail_server_is_reported(app_env: dict[str, str]) -> None:
    settings = load_settings({**app_env, "SMTP_PORT": str(free_port())})
    with pytest.raises(Unavailable) as refused:
        await mailer.send_code(settings, "nobody@example.com", "000000", 10)
    assert (refused.value.code, translate(refused.value).status) == ("email_unavailable", 503)
