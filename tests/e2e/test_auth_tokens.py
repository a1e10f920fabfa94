"""Access and refresh tokens through the running app: use, rotation, replay, logout, forgery."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from domain.tables import UserAuthSession
from server.accounts.refresh_families import hash_token
from server.accounts.tokens import Principal, issue_access_token
from server.settings import Settings, load_settings
from tests.support.smtp import SmtpServer, bearer, sign_in


@pytest.fixture
def settings(app_env: dict[str, str]) -> Settings:
    return load_settings(app_env)


@pytest.fixture
async def signed_in(http: httpx.AsyncClient, smtp: SmtpServer) -> dict[str, Any]:
    return await sign_in(http, smtp, f"tokens-{secrets.token_hex(5)}@example.com")


async def refresh(http: httpx.AsyncClient, token: str) -> httpx.Response:
    return await http.post("/auth/refresh", json={"refresh_token": token})


def error_code(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def hand_signed(header: dict[str, Any], claims: dict[str, Any], key: bytes | None) -> str:
    """A JWT built by hand, so it can say what PyJWT would refuse to produce."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest() if key else b""
    return f"{signing_input}.{b64(signature)}"


def claims_of(answer: dict[str, Any]) -> dict[str, Any]:
    return jwt.decode(answer["access_token"], options={"verify_signature": False})


async def test_a_session_lives_refreshes_and_ends(
    http: httpx.AsyncClient, signed_in: dict[str, Any]
) -> None:
    assert (await http.get("/me", headers=bearer(signed_in))).status_code == 200
    renewed = await refresh(http, signed_in["refresh_token"])
    assert renewed.status_code == 200
    pair = renewed.json()
    assert pair["refresh_token"] != signed_in["refresh_token"]
    assert pair["access_token"] != signed_in["access_token"]
    assert claims_of(pair)["sid"] == claims_of(signed_in)["sid"]
    assert (await http.get("/me", headers=bearer(pair))).status_code == 200

    logout = await http.post(
        "/auth/logout", json={"refresh_token": pair["refresh_token"]}, headers=bearer(pair)
    )
    assert logout.status_code == 204
    for answer in (signed_in, pair):
        refused = await http.get("/me", headers=bearer(answer))
        assert error_code(refused) == (401, "token_revoked")
    assert error_code(await refresh(http, pair["refresh_token"])) == (401, "token_revoked")


async def test_access_tokens_carry_the_pinned_claims(signed_in: dict[str, Any]) -> None:
    header = jwt.get_unverified_header(signed_in["access_token"])
    claims = claims_of(signed_in)
    assert header["alg"] == "HS256"
    assert {"sub", "role", "sid", "exp", "iat", "jti", "iss", "aud"} <= set(claims)
    assert claims["exp"] - claims["iat"] == 15 * 60
    assert (claims["iss"], claims["aud"], claims["role"]) == (
        "interview-rooms",
        "interview-rooms",
        "candidate",
    )


async def test_refresh_tokens_are_stored_hashed(signed_in: dict[str, Any]) -> None:
    token = signed_in["refresh_token"]
    row = (
        await UserAuthSession.select()
        .where(UserAuthSession.refresh_token == hash_token(token))
        .first()
    )
    assert row is not None and token not in row["refresh_token"]
    assert row["expires_at"] - row["created_at"] == timedelta(days=30)
    assert await UserAuthSession.count().where(UserAuthSession.refresh_token == token) == 0


async def test_concurrent_refreshes_within_the_window_both_succeed(
    http: httpx.AsyncClient, signed_in: dict[str, Any]
) -> None:
    token = signed_in["refresh_token"]
    answers = await asyncio.gather(*(refresh(http, token) for _ in range(3)))
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    successors = {answer.json()["refresh_token"] for answer in answers}
    assert len(successors) == 1, "every racer holds the same successor"
    family = uuid.UUID(claims_of(signed_in)["sid"])
    assert await UserAuthSession.count().where(UserAuthSession.family_id == family) == 2
    for answer in answers:
        assert (await http.get("/me", headers=bearer(answer.json()))).status_code == 200
    again = await refresh(http, successors.pop())
    assert again.status_code == 200


async def test_a_retry_within_the_window_gets_the_same_successor(
    http: httpx.AsyncClient, signed_in: dict[str, Any]
) -> None:
    # A replay after the window revokes the family: tests/integration/test_refresh_grace.py.
    token = signed_in["refresh_token"]
    first = (await refresh(http, token)).json()
    retry = (await refresh(http, token)).json()
    assert retry["refresh_token"] == first["refresh_token"]
    assert (await refresh(http, first["refresh_token"])).status_code == 200


async def test_logout_all_ends_every_session(http: httpx.AsyncClient, smtp: SmtpServer) -> None:
    address = f"everywhere-{secrets.token_hex(5)}@example.com"
    laptop, phone = await sign_in(http, smtp, address), await sign_in(http, smtp, address)
    assert claims_of(laptop)["sid"] != claims_of(phone)["sid"]
    assert (await http.post("/auth/logout-all", headers=bearer(phone))).status_code == 204
    for device in (laptop, phone):
        assert error_code(await http.get("/me", headers=bearer(device))) == (401, "token_revoked")
        refused = await refresh(http, device["refresh_token"])
        assert error_code(refused) == (401, "token_revoked")


async def test_logout_ends_only_this_session(http: httpx.AsyncClient, smtp: SmtpServer) -> None:
    address = f"one-device-{secrets.token_hex(5)}@example.com"
    laptop, phone = await sign_in(http, smtp, address), await sign_in(http, smtp, address)
    assert (await http.post("/auth/logout", headers=bearer(laptop))).status_code == 204
    assert (await http.get("/me", headers=bearer(phone))).status_code == 200
    assert (await refresh(http, phone["refresh_token"])).status_code == 200


async def test_unknown_and_expired_refresh_tokens_are_refused(
    http: httpx.AsyncClient, signed_in: dict[str, Any]
) -> None:
    unknown = await refresh(http, secrets.token_urlsafe(32))
    assert error_code(unknown) == (401, "token_invalid")
    token = signed_in["refresh_token"]
    # Thirty days pass.
    await UserAuthSession.update(
        {UserAuthSession.expires_at: datetime.now(UTC) - timedelta(seconds=1)}
    ).where(UserAuthSession.refresh_token == hash_token(token))
    assert error_code(await refresh(http, token)) == (401, "token_expired")


def forged_tokens(settings: Settings, real: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Tokens an attacker might try, with the code each must be refused with."""
    claims = claims_of(real)
    now = datetime.now(UTC)
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    hs = {"alg": "HS256", "typ": "JWT"}
    secret = settings.jwt_secret.encode()
    principal = Principal(uuid.UUID(claims["sub"]), claims["role"], uuid.UUID(claims["sid"]))
    expired = issue_access_token(settings, principal, now=now - timedelta(hours=1)).token
    return {
        "garbage": ("not.a.jwt", "token_invalid"),
        "other secret": (jwt.encode(claims, "x" * 48, algorithm="HS256"), "token_invalid"),
        "alg none": (hand_signed({"alg": "none", "typ": "JWT"}, claims, None), "token_invalid"),
        "RS256": (jwt.encode(claims, rsa_key, algorithm="RS256"), "token_invalid"),
        "HS256 keyed with a public key": (hand_signed(hs, claims, public_pem), "token_invalid"),
        "role raised": (hand_signed(hs, {**claims, "role": "admin"}, b"guess"), "token_invalid"),
        "wrong audience": (hand_signed(hs, {**claims, "aud": "other"}, secret), "token_invalid"),
        "wrong issuer": (hand_signed(hs, {**claims, "iss": "evil"}, secret), "token_invalid"),
        "no session": (
            hand_signed(hs, {k: v for k, v in claims.items() if k != "sid"}, secret),
            "token_invalid",
        ),
        "unknown role": (hand_signed(hs, {**claims, "role": "root"}, secret), "token_invalid"),
        "expired": (expired, "token_expired"),
    }


async def test_forged_and_expired_access_tokens_are_refused(
    http: httpx.AsyncClient, settings: Settings, signed_in: dict[str, Any]
) -> None:
    for name, (token, code) in forged_tokens(settings, signed_in).items():
        response = await http.get("/me", headers=bearer(token))
        assert error_code(response) == (401, code), name
    # The same claims signed with the server's secret work: the refusals are about the forgery.
    proper = hand_signed(
        {"alg": "HS256", "typ": "JWT"}, claims_of(signed_in), settings.jwt_secret.encode()
    )
    assert (await http.get("/me", headers=bearer(proper))).status_code == 200


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "token_missing"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "token_missing"),
        ({"Authorization": "Bearer"}, "token_missing"),
    ],
)
async def test_a_missing_token_is_refused(
    http: httpx.AsyncClient, headers: dict[str, str], code: str
) -> None:
    for method, path in (("GET", "/me"), ("POST", "/auth/logout"), ("POST", "/auth/logout-all")):
        response = await http.request(method, path, headers=headers)
        assert error_code(response) == (401, code), path
