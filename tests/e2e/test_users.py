"""Profiles, roles and the operators' `users` commands, through the running app."""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
from typing import Any

import httpx
import pytest

from tests.support.servers import REPO
from tests.support.smtp import SmtpServer, bearer, sign_in


def new_address() -> str:
    return f"user-{secrets.token_hex(5)}@example.com"


@pytest.fixture
async def signed_in(http: httpx.AsyncClient, smtp: SmtpServer) -> dict[str, Any]:
    return await sign_in(http, smtp, new_address())


async def users_cli(app_env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """Runs `interview-rooms users …` as operators do: its own process, the server's config."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server.operations.cli",
        "users",
        *args,
        env={**os.environ, **app_env},
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode().strip(), err.decode()


async def test_me_shows_the_profile(http: httpx.AsyncClient, signed_in: dict[str, Any]) -> None:
    me = (await http.get("/me", headers=bearer(signed_in))).json()
    assert me == signed_in["user"]
    assert set(me) >= {"id", "email", "name", "avatar_url", "role", "created_at", "last_login"}


async def test_name_and_avatar_can_be_changed(
    http: httpx.AsyncClient, signed_in: dict[str, Any]
) -> None:
    auth = bearer(signed_in)
    changed = await http.patch(
        "/me",
        json={"name": "  Ada Lovelace ", "avatar_url": "https://img.example/a.png"},
        headers=auth,
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["name"], changed.json()["avatar_url"]) == (
        "Ada Lovelace",
        "https://img.example/a.png",
    )
    only_name = (await http.patch("/me", json={"name": "Ada"}, headers=auth)).json()
    assert only_name["avatar_url"] == "https://img.example/a.png"
    cleared = (await http.patch("/me", json={"avatar_url": ""}, headers=auth)).json()
    assert (cleared["name"], cleared["avatar_url"]) == ("Ada", "")
    assert (await http.get("/me", headers=auth)).json()["name"] == "Ada"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"role": "admin"}, "invalid_request"),
        ({"name": "x" * 201}, "invalid_request"),
        ({"avatar_url": "javascript:alert(1)"}, "invalid_avatar_url"),
        ({"avatar_url": "ftp://files.example/a.png"}, "invalid_avatar_url"),
        ({"avatar_url": "https://" + "a" * 2000}, "invalid_request"),
    ],
)
async def test_bad_profile_changes_are_refused(
    http: httpx.AsyncClient, signed_in: dict[str, Any], body: dict[str, str], code: str
) -> None:
    response = await http.patch("/me", json=body, headers=bearer(signed_in))
    assert response.status_code == 400 and response.json()["error"]["code"] == code
    assert (await http.get("/me", headers=bearer(signed_in))).json()["role"] == "candidate"


async def test_the_profile_needs_a_token(http: httpx.AsyncClient) -> None:
    for method in ("GET", "PATCH"):
        response = await http.request(method, "/me", json={} if method == "PATCH" else None)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "token_missing"


async def test_users_token_prints_a_working_token(
    http: httpx.AsyncClient, app_env: dict[str, str]
) -> None:
    address = new_address()
    code, token, err = await users_cli(
        app_env, "token", address, "--create", "--role", "interviewer"
    )
    assert code == 0, err
    me = (await http.get("/me", headers=bearer(token))).json()
    assert (me["email"], me["role"]) == (address, "interviewer")
    code, again, _ = await users_cli(app_env, "token", address)
    assert code == 0 and again != token
    assert (await http.get("/me", headers=bearer(again))).json()["id"] == me["id"]


async def test_users_token_does_not_create_unless_asked(app_env: dict[str, str]) -> None:
    code, out, err = await users_cli(app_env, "token", new_address())
    assert code == 1 and out == "" and "no user" in err.lower()


async def test_promote_makes_an_admin_who_may_set_roles(
    http: httpx.AsyncClient, app_env: dict[str, str], signed_in: dict[str, Any]
) -> None:
    target = signed_in["user"]["id"]
    candidate = bearer(signed_in)
    denied = await http.put(f"/users/{target}/role", json={"role": "admin"}, headers=candidate)
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "insufficient_role"

    boss = new_address()
    assert (await users_cli(app_env, "token", boss, "--create"))[0] == 0
    code, _, err = await users_cli(app_env, "promote", boss, "--role", "admin")
    assert code == 0, err
    _, token, _ = await users_cli(app_env, "token", boss)
    assert (await http.get("/me", headers=bearer(token))).json()["role"] == "admin"

    granted = await http.put(
        f"/users/{target}/role", json={"role": "interviewer"}, headers=bearer(token)
    )
    assert granted.status_code == 200 and granted.json()["role"] == "interviewer"
    # The new role reaches the user's tokens at their next refresh.
    renewed = await http.post("/auth/refresh", json={"refresh_token": signed_in["refresh_token"]})
    assert renewed.json()["user"]["role"] == "interviewer"


async def test_promote_names_an_unknown_address(app_env: dict[str, str]) -> None:
    code, _, err = await users_cli(app_env, "promote", new_address(), "--role", "admin")
    assert code == 1 and "no user" in err


async def test_the_auth_and_profile_routes_are_documented(http: httpx.AsyncClient) -> None:
    schema = (await http.get("/schema/openapi.json")).json()
    paths = {"/auth/otp/request", "/auth/otp/verify", "/auth/google", "/auth/refresh"}
    paths |= {"/auth/logout", "/auth/logout-all", "/me", "/users/{user_id}/role"}
    assert paths <= set(schema["paths"])
    token_answer = schema["components"]["schemas"]["TokenAnswer"]
    assert {"access_token", "refresh_token", "token_type", "expires_in", "user"} <= set(
        token_answer["properties"]
    )
