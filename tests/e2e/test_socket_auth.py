"""Only a valid, unrevoked access token from an allowed origin opens a room socket."""

from __future__ import annotations

import base64
import contextlib
import json
import time
import uuid
from collections.abc import Awaitable, Callable

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from websockets.asyncio.client import connect

from server.accounts.tokens import ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER
from server.settings import load_settings
from tests.e2e.conftest import Account, RoomClient
from tests.e2e.test_room_e2e import bearer, start_session
from tests.support.servers import AppProcess
from tests.support.smtp import SmtpServer, sign_in

pytestmark = pytest.mark.e2e

MakeAccount = Callable[..., Awaitable[Account]]
OpenRoom = Callable[..., Awaitable[RoomClient]]


def claims(user_id: uuid.UUID, **overrides: object) -> dict[str, object]:
    now = int(time.time())
    base = {
        "sub": str(user_id),
        "role": "candidate",
        "sid": str(uuid.uuid4()),
        "iat": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
        "iss": ACCESS_TOKEN_ISSUER,
        "aud": ACCESS_TOKEN_AUDIENCE,
    }
    return {**base, **overrides}


def unsigned(payload: dict[str, object]) -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload)}."


async def close_code(
    app: AppProcess, session_id: str, token: str, **kwargs: object
) -> tuple[int | None, str]:
    url = app.url.replace("http", "ws") + f"/ws/sessions/{session_id}"
    async with connect(url, subprotocols=["bearer", token], **kwargs) as ws:  # type: ignore[list-item, arg-type]
        first = json.loads(await ws.recv())
        with contextlib.suppress(Exception):  # the close is what we wait for
            await ws.recv()
        return ws.close_code, first.get("code", "")


@pytest.fixture
async def session(app: AppProcess, account: MakeAccount) -> tuple[str, uuid.UUID]:
    user_id, token = await account()
    return (await start_session(app.url, token, slug="url-shortener"))["id"], user_id


async def test_bad_tokens_are_refused_with_4401(
    app: AppProcess,
    app_env: dict[str, str],
    session: tuple[str, uuid.UUID],
) -> None:
    sid, user_id = session
    secret = load_settings(app_env).jwt_secret
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tokens = {
        "forged": jwt.encode(claims(user_id), "not-the-server-secret" * 3, algorithm="HS256"),
        "expired": jwt.encode(claims(user_id, exp=int(time.time()) - 5), secret, algorithm="HS256"),
        "alg none": unsigned(claims(user_id)),
        "RS256 instead of HS256": jwt.encode(claims(user_id), other_key, algorithm="RS256"),
        "HS512 with the right secret": jwt.encode(claims(user_id), secret, algorithm="HS512"),
        "wrong audience": jwt.encode(claims(user_id, aud="elsewhere"), secret, algorithm="HS256"),
        "garbage": "not.a.jwt",
    }
    for name, token in tokens.items():
        code, error = await close_code(app, sid, token)
        assert code == 4401, name
        assert error.startswith("token_"), (name, error)


async def test_a_revoked_session_token_is_refused(
    app: AppProcess,
    http: httpx.AsyncClient,
    smtp: SmtpServer,
) -> None:
    answer = await sign_in(http, smtp, f"rev-{uuid.uuid4().hex[:8]}@example.test")
    sid = (await start_session(app.url, answer["access_token"], slug="news-feed"))["id"]
    url = app.url.replace("http", "ws") + f"/ws/sessions/{sid}"
    async with connect(url, subprotocols=["bearer", answer["access_token"]]) as ws:  # type: ignore[list-item]
        assert json.loads(await ws.recv())["type"] == "snapshot", "accepted while valid"
    logout = await http.post(
        "/auth/logout",
        json={"refresh_token": answer["refresh_token"]},
        headers=bearer(answer["access_token"]),
    )
    assert logout.status_code == 204
    code, error = await close_code(app, sid, answer["access_token"])
    assert (code, error) == (4401, "token_revoked")


async def test_a_foreign_origin_is_refused_and_the_own_origin_allowed(
    app: AppProcess,
    account: MakeAccount,
    session: tuple[str, uuid.UUID],
) -> None:
    sid, _ = session
    _, interviewer = await account("interviewer")
    code, error = await close_code(app, sid, interviewer, origin="https://evil.example")
    assert (code, error) == (4403, "origin_forbidden")
    url = app.url.replace("http", "ws") + f"/ws/sessions/{sid}"
    async with connect(url, subprotocols=["bearer", interviewer], origin=app.url) as ws:  # type: ignore[list-item, arg-type]
        assert ws.subprotocol == "bearer"
        assert json.loads(await ws.recv())["type"] == "snapshot"


async def test_a_missing_token_and_a_bad_after_are_refused(
    app: AppProcess,
    account: MakeAccount,
    session: tuple[str, uuid.UUID],
) -> None:
    sid, _ = session
    url = app.url.replace("http", "ws") + f"/ws/sessions/{sid}"
    async with connect(url) as ws:
        assert json.loads(await ws.recv())["code"] == "token_missing"
        with pytest.raises(Exception):  # noqa: B017 - any close
            await ws.recv()
        assert ws.close_code == 4401
    _, token = await account("interviewer")
    async with connect(url + "?after=abc", subprotocols=["bearer", token]) as ws:  # type: ignore[list-item]
        assert json.loads(await ws.recv())["code"] == "bad_request"
        with pytest.raises(Exception):  # noqa: B017
            await ws.recv()
        assert ws.close_code == 4400
