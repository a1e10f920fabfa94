"""The auth rules that need no I/O: code verdicts, refresh verdicts, WebSocket and JWKS helpers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from server.accounts.google import JWKS_DEFAULT_MAX_AGE_SECS, freshness_secs, parse_jwks
from server.accounts.guards import bearer_token, check_origin, token_from_subprotocols
from server.accounts.otp import OTP_MAX_WRONG_GUESSES, Verdict, judge, new_code, normalise_email
from server.accounts.refresh_families import Presented, classify
from server.errors import (
    BadRequest,
    OriginForbidden,
    TokenExpired,
    TokenInvalid,
    TokenMissing,
    TokenRevoked,
)
from server.settings import SettingsError, load_settings

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def otp_row(**changes: Any) -> dict[str, Any]:
    return {"otp_hash": "right", "attempts": 0, "expires_at": NOW + timedelta(minutes=1), **changes}


@pytest.mark.parametrize(
    ("row", "digest", "verdict"),
    [
        (None, "right", Verdict.NO_CODE),
        (otp_row(), "right", Verdict.ACCEPTED),
        (otp_row(), "wrong", Verdict.WRONG),
        (otp_row(attempts=OTP_MAX_WRONG_GUESSES - 1), "wrong", Verdict.WRONG),
        (otp_row(attempts=OTP_MAX_WRONG_GUESSES), "right", Verdict.LOCKED),
        (otp_row(expires_at=NOW), "right", Verdict.EXPIRED),
    ],
)
def test_code_verdicts(row: dict[str, Any] | None, digest: str, verdict: Verdict) -> None:
    assert judge(row, digest, NOW) is verdict


def test_codes_are_six_digits_with_leading_zeros() -> None:
    assert new_code(lambda _: 42) == "000042"
    assert new_code(lambda bound: bound - 1) == "999999"


@pytest.mark.parametrize(
    ("raw", "email"),
    [(" Ada@Example.COM ", "ada@example.com"), ("a.b+c@x.io", "a.b+c@x.io")],
)
def test_addresses_are_normalised(raw: str, email: str) -> None:
    assert normalise_email(raw) == email


@pytest.mark.parametrize("raw", ["", "ada", "ada@", "@x.io", "a b@x.io", "a@b@x.io", "a@x"])
def test_malformed_addresses_are_refused(raw: str) -> None:
    with pytest.raises(BadRequest):
        normalise_email(raw)


def session_row(**changes: Any) -> dict[str, Any]:
    fields = {"revoked_at": None, "rotated_at": None, "expires_at": NOW + timedelta(days=1)}
    return {**fields, **changes}


@pytest.mark.parametrize(
    ("row", "presented"),
    [
        (session_row(), Presented.FRESH),
        (session_row(rotated_at=NOW - timedelta(seconds=9)), Presented.IN_GRACE),
        (session_row(rotated_at=NOW - timedelta(seconds=10)), Presented.REUSED),
        (session_row(rotated_at=NOW - timedelta(days=1)), Presented.REUSED),
    ],
)
def test_refresh_verdicts(row: dict[str, Any], presented: Presented) -> None:
    assert classify(row, NOW, grace_secs=10) is presented


@pytest.mark.parametrize(
    ("row", "error"),
    [
        (None, TokenInvalid),
        (session_row(revoked_at=NOW), TokenRevoked),
        (session_row(expires_at=NOW), TokenExpired),
    ],
)
def test_refresh_refusals(row: dict[str, Any] | None, error: type[Exception]) -> None:
    with pytest.raises(error):
        classify(row, NOW, grace_secs=10)


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("bearer, abc.def.ghi", "abc.def.ghi"),
        ("bearer,abc.def.ghi", "abc.def.ghi"),
        ("rooms.v1, bearer, t", "t"),
        ("bearer", None),
        ("abc.def.ghi", None),
        ("", None),
        (None, None),
    ],
)
def test_websocket_token_from_subprotocols(header: str | None, token: str | None) -> None:
    assert token_from_subprotocols(header) == token


ALLOWED = ("https://rooms.example.com", "http://127.0.0.1:8000")


@pytest.mark.parametrize("origin", [None, "https://rooms.example.com", "http://127.0.0.1:8000/"])
def test_allowed_origins_pass(origin: str | None) -> None:
    check_origin(origin, ALLOWED)


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://127.0.0.1:9000"])
def test_other_origins_are_refused(origin: str) -> None:
    with pytest.raises(OriginForbidden):
        check_origin(origin, ALLOWED)


@pytest.mark.parametrize("header", [None, "", "Basic x", "Bearer", "Token abc"])
def test_bearer_header_must_name_a_token(header: str | None) -> None:
    with pytest.raises(TokenMissing):
        bearer_token(header)


def test_bearer_scheme_is_case_insensitive() -> None:
    assert bearer_token("bearer abc") == bearer_token("Bearer  abc ") == "abc"


@pytest.mark.parametrize(
    ("headers", "secs"),
    [
        ({"cache-control": "public, max-age=19800, must-revalidate"}, 19800),
        ({"cache-control": "max-age=600", "age": "100"}, 500),
        ({"cache-control": "no-store"}, 0),
        ({}, JWKS_DEFAULT_MAX_AGE_SECS),
    ],
)
def test_jwks_freshness_follows_cache_control(headers: dict[str, str], secs: float) -> None:
    assert freshness_secs(httpx.Headers(headers)) == secs


def test_jwks_parsing_keeps_only_usable_rsa_keys() -> None:
    from tests.support.jwks import SigningKey

    key = SigningKey.generate()
    document = {"keys": [key.jwk(), {"kty": "oct", "kid": "h", "k": "c2VjcmV0"}, {"kty": "RSA"}]}
    assert list(parse_jwks(document)) == [key.kid]
    assert parse_jwks("not a document") == {}


def test_auth_settings_have_documented_defaults(tmp_path: Any) -> None:
    settings = load_settings({"DATA_DIR": str(tmp_path)})
    assert settings.access_token_ttl_secs == 15 * 60
    assert settings.refresh_token_ttl_secs == 30 * 24 * 3600
    assert settings.auth_refresh_grace_secs == 10


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ACCESS_TOKEN_TTL_SECS", "10"),
        ("ACCESS_TOKEN_TTL_SECS", "soon"),
        ("REFRESH_TOKEN_TTL_SECS", "60"),
        ("AUTH_REFRESH_GRACE_SECS", "-1"),
        ("AUTH_REFRESH_GRACE_SECS", "nan"),
        ("AUTH_REFRESH_GRACE_SECS", "600"),
    ],
)
def test_bad_auth_settings_name_the_variable(tmp_path: Any, name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({"DATA_DIR": str(tmp_path), name: value})
