"""A live room socket follows its sign-in: revocation, expiry and role changes close it.

Issue 12, finding 1: authorisation used to be checked only at the handshake, so a socket kept
receiving events after `logout-all`, after its token expired and after a demotion.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from server.accounts import refresh_families
from server.accounts.tokens import Principal, issue_access_token
from server.settings import Settings, load_settings
from tests.e2e.conftest import Account, RoomClient
from tests.e2e.test_room_e2e import bearer, start_session
from tests.support.servers import AppProcess

pytestmark = pytest.mark.e2e

MakeAccount = Callable[..., Awaitable[Account]]
OpenRoom = Callable[..., Awaitable[RoomClient]]


async def signed_in_token(settings: Settings, user_id: uuid.UUID, role: str) -> str:
    """An access token of a real sign-in session (a refresh family in the database)."""
    family = await refresh_families.start(
        settings, user_id, refresh_families.ClientInfo(user_agent="test device")
    )
    return issue_access_token(settings, Principal(user_id, role, family.family_id)).token


def error_frames(client: RoomClient) -> list[str]:
    return [frame["code"] for frame in client.frames if frame["type"] == "error"]


async def closed_with(client: RoomClient, within_secs: float = 15.0) -> tuple[int | None, str]:
    code, reason = await asyncio.wait_for(asyncio.shield(client.closed), within_secs)
    return code, reason or ""


async def test_logout_all_closes_every_socket_of_the_account_on_every_process(
    app: AppProcess,
    second_app: AppProcess,
    app_env: dict[str, str],
    account: MakeAccount,
    open_room: OpenRoom,
) -> None:
    settings = load_settings(app_env)
    user_id, _ = await account()
    laptop = await signed_in_token(settings, user_id, "candidate")
    phone = await signed_in_token(settings, user_id, "candidate")
    room = (await start_session(app.url, laptop, slug="url-shortener"))["id"]
    here = await open_room(app.url, room, laptop)
    there = await open_room(second_app.url, room, laptop)
    other_device = await open_room(app.url, room, phone)
    for client in (here, there, other_device):
        await client.wait_for(lambda frames: bool(frames) and frames[0]["type"] == "snapshot")
    assert (await here.command("draft", section="apis", text="kept"))["type"] == "ack"

    async with httpx.AsyncClient(base_url=app.url, timeout=10) as http:
        assert (await http.post("/auth/logout-all", headers=bearer(phone))).status_code == 204

    for client in (here, there, other_device):
        assert await closed_with(client) == (4401, "token_revoked")
        assert error_frames(client)[-1] == "token_revoked", "the client is told why"
    # The room itself is untouched: a new sign-in finds the draft.
    fresh = await signed_in_token(settings, user_id, "candidate")
    again = await open_room(app.url, room, fresh)
    await again.wait_for(lambda frames: bool(frames) and frames[0]["type"] == "snapshot")
    assert again.frames[0]["state"]["draft"]["apis"] == "kept"


async def test_an_expiring_token_closes_the_socket_unless_renewed_on_it(
    app: AppProcess,
    app_env: dict[str, str],
    account: MakeAccount,
    open_room: OpenRoom,
) -> None:
    settings = load_settings(app_env)
    user_id, long_lived = await account()
    _, stranger = await account(name="Mallory")
    room = (await start_session(app.url, long_lived, slug="news-feed"))["id"]
    short = replace(settings, access_token_ttl_secs=3)
    principal = Principal(user_id, "candidate", uuid.uuid4())
    renewing = await open_room(app.url, room, issue_access_token(short, principal).token)
    lapsing = await open_room(app.url, room, issue_access_token(short, principal).token)
    for client in (renewing, lapsing):
        await client.wait_for(lambda frames: bool(frames) and frames[0]["type"] == "snapshot")

    refused = await renewing.command("auth", token=stranger)
    assert (refused["type"], refused["code"]) == ("error", "token_mismatch")
    refused = await renewing.command("auth", token="not.a.token")
    assert (refused["type"], refused["code"]) == ("error", "token_invalid")
    renewed = await renewing.command("auth", token=long_lived)
    assert renewed["type"] == "ack"
    assert renewed["expires_at"] > time.time() + 60

    assert await closed_with(lapsing) == (4401, "token_expired")
    assert error_frames(lapsing)[-1] == "token_expired"
    # The first token has expired by now; the renewed socket still works.
    assert (await renewing.command("draft", section="apis", text="still here"))["type"] == "ack"
    assert not renewing.closed.done()


async def test_a_role_change_applies_at_once_to_sockets_and_http(
    app: AppProcess,
    second_app: AppProcess,
    app_env: dict[str, str],
    account: MakeAccount,
    open_room: OpenRoom,
) -> None:
    _, candidate = await account()
    _, admin = await account("admin", name="Root")
    interviewer_id, interviewer = await account("interviewer", name="Ivy")
    room = (await start_session(app.url, candidate, slug="parking-lot"))["id"]
    watching = await open_room(second_app.url, room, interviewer)
    await watching.wait_for(lambda frames: bool(frames) and frames[0]["type"] == "snapshot")
    assert watching.frames[0]["role"] == "observer"

    async with httpx.AsyncClient(base_url=app.url, timeout=10) as http:
        assert (await http.get("/sessions/live", headers=bearer(interviewer))).status_code == 200
        demoted = await http.put(
            f"/users/{interviewer_id}/role", json={"role": "candidate"}, headers=bearer(admin)
        )
        assert demoted.status_code == 200, demoted.text

        assert await closed_with(watching) == (4401, "token_stale")
        staff_only = await http.get("/sessions/live", headers=bearer(interviewer))
        assert staff_only.status_code == 401
        assert staff_only.json()["error"]["code"] == "token_stale"

    # With a token of the new role the room is not theirs to see any more.
    token = await signed_in_token(load_settings(app_env), interviewer_id, "candidate")
    url = app.url.replace("http", "ws") + f"/ws/sessions/{room}"
    async with connect(url, subprotocols=["bearer", token]) as ws:  # type: ignore[list-item]
        assert json.loads(await ws.recv())["code"] == "session_not_found"
        with contextlib.suppress(ConnectionClosed):
            await ws.recv()
        assert ws.close_code == 4404
