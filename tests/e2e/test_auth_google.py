"""Google sign-in through the running app, against a JWKS served by a local HTTP server."""

from __future__ import annotations

import secrets
import time
from typing import Any

import httpx
import pytest

from server.accounts.google import GoogleVerifier
from server.errors import NotEnabled, translate
from server.settings import load_settings
from tests.conftest import GOOGLE_CLIENT_ID
from tests.support.jwks import JwksServer, SigningKey, google_claims
from tests.support.smtp import SmtpServer, bearer, sign_in


def new_address() -> str:
    return f"google-{secrets.token_hex(5)}@example.com"


async def google_login(http: httpx.AsyncClient, id_token: str) -> httpx.Response:
    return await http.post("/auth/google", json={"id_token": id_token})


async def test_a_google_token_signs_a_new_user_in(
    http: httpx.AsyncClient, jwks: JwksServer
) -> None:
    address = new_address()
    response = await google_login(http, jwks.key.sign(google_claims(GOOGLE_CLIENT_ID, address)))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["token_type"] == "bearer" and answer["refresh_token"]
    user = answer["user"]
    assert (user["email"], user["google_linked"], user["role"]) == (address, True, "candidate")
    assert user["name"] == "Grace Hopper" and user["avatar_url"].startswith("https://")
    me = await http.get("/me", headers=bearer(answer))
    assert me.json()["id"] == user["id"]


async def test_the_same_google_account_finds_the_same_user(
    http: httpx.AsyncClient, jwks: JwksServer
) -> None:
    claims = google_claims(GOOGLE_CLIENT_ID, new_address())
    first = (await google_login(http, jwks.key.sign(claims))).json()["user"]
    second = (await google_login(http, jwks.key.sign({**claims, "iat": claims["iat"] + 1}))).json()
    assert second["user"]["id"] == first["id"]


async def test_google_links_to_an_account_made_by_email(
    http: httpx.AsyncClient, jwks: JwksServer, smtp: SmtpServer
) -> None:
    address = new_address()
    by_email = (await sign_in(http, smtp, address))["user"]
    assert by_email["google_linked"] is False
    claims = google_claims(GOOGLE_CLIENT_ID, address.upper())
    linked = (await google_login(http, jwks.key.sign(claims))).json()["user"]
    assert linked["id"] == by_email["id"] and linked["google_linked"] is True
    other = google_claims(GOOGLE_CLIENT_ID, address)  # another Google account, same address
    refused = await google_login(http, jwks.key.sign(other))
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "google_account_mismatch"


def refused_tokens(jwks: JwksServer) -> dict[str, tuple[str, str]]:
    """Tokens that must not sign anyone in, with the reason given for each."""
    claims = google_claims(GOOGLE_CLIENT_ID, new_address())
    stranger = SigningKey.generate()
    impostor = SigningKey.generate(kid=jwks.key.kid)  # claims a published key id
    hour_ago = int(time.time()) - 3600
    return {
        "wrong audience": (jwks.key.sign({**claims, "aud": "someone-else"}), "audience"),
        "wrong issuer": (jwks.key.sign({**claims, "iss": "https://evil.example"}), "issuer"),
        "expired": (jwks.key.sign({**claims, "iat": hour_ago - 60, "exp": hour_ago}), "expired"),
        "unverified email": (jwks.key.sign({**claims, "email_verified": False}), "email"),
        "no email": (jwks.key.sign({k: v for k, v in claims.items() if k != "email"}), "email"),
        "unknown key": (stranger.sign(claims), "key"),
        "another key, known kid": (impostor.sign(claims), "signature"),
        "HS256": (_hs256(claims), "algorithm"),
        "garbage": ("a.b.c", "malformed"),
    }


def _hs256(claims: dict[str, Any]) -> str:
    import jwt

    return jwt.encode(claims, "x" * 48, algorithm="HS256", headers={"kid": "k"})


async def test_bad_google_tokens_are_refused(http: httpx.AsyncClient, jwks: JwksServer) -> None:
    for name, (token, reason) in refused_tokens(jwks).items():
        response = await google_login(http, token)
        assert response.status_code == 401, (name, response.text)
        error = response.json()["error"]
        assert (error["code"], error["reason"]) == ("google_token_invalid", reason), name


async def test_the_app_keeps_one_key_cache_across_requests(
    http: httpx.AsyncClient, jwks: JwksServer
) -> None:
    # Expiry, rotation and the refetch bound: tests/integration/test_google_jwks.py.
    await google_login(http, jwks.key.sign(google_claims(GOOGLE_CLIENT_ID, new_address())))
    fetched = jwks.fetches
    for _ in range(3):
        token = jwks.key.sign(google_claims(GOOGLE_CLIENT_ID, new_address()))
        assert (await google_login(http, token)).status_code == 200
    assert jwks.fetches == fetched, "max-age=3600: no refetch"


async def test_without_a_client_id_google_sign_in_is_disabled(app_env: dict[str, str]) -> None:
    settings = load_settings({**app_env, "GOOGLE_CLIENT_ID": ""})
    with pytest.raises(NotEnabled) as refused:
        await GoogleVerifier(settings).verify("any.token.at-all")
    assert (refused.value.code, translate(refused.value).status) == ("google_disabled", 501)
