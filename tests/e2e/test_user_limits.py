"""Limits one user cannot multiply (issue 12, finding 5): the command rate is per account and
shared by REST and every socket, room sockets are capped per account, and a socket that stops
reading is closed instead of queueing without bound."""

from __future__ import annotations

import asyncio
import socket as sockets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import urlsplit

import httpx
import pytest
from websockets.asyncio.client import connect

from domain.solution import MAX_SECTION_CHARS
from server.sessions.quotas import COMMAND_BURST, COMMANDS_PER_SEC, SOCKETS_PER_USER
from server.sessions.socket import SEND_STALL_SECS
from tests.e2e.conftest import Account, RoomClient
from tests.e2e.test_room_e2e import bearer, start_session
from tests.support.servers import AppProcess

pytestmark = pytest.mark.e2e

MakeAccount = Callable[..., Awaitable[Account]]
OpenRoom = Callable[..., Awaitable[RoomClient]]


@pytest.fixture
async def http(app: AppProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=app.url, timeout=10) as client:
        yield client


async def ready(client: RoomClient) -> RoomClient:
    await client.wait_for(lambda frames: any(f["type"] == "snapshot" for f in frames))
    return client


async def test_ten_sockets_and_rest_share_one_command_allowance(
    app: AppProcess, http: httpx.AsyncClient, account: MakeAccount, open_room: OpenRoom
) -> None:
    _, token = await account()
    sid = (await start_session(app.url, token, slug="rate-limiter"))["id"]
    clients = [await ready(await open_room(app.url, sid, token)) for _ in range(10)]
    per_socket = 12  # each socket stays well inside its own frame limit
    started = time.monotonic()
    replies = await asyncio.gather(
        *(
            client.command("draft", section="apis", text=f"GET /v{n}")
            for client in clients
            for n in range(per_socket)
        )
    )
    elapsed = time.monotonic() - started
    accepted = [r for r in replies if r["type"] == "ack"]
    refused = [r for r in replies if r["type"] == "error"]
    assert len(accepted) <= COMMAND_BURST + COMMANDS_PER_SEC * elapsed + 1
    assert refused and {r["code"] for r in refused} == {"rate_limited"}
    assert all(r["retry_after"] >= 1 for r in refused)

    # The same account over REST draws on the same, now empty, allowance.
    answers = await asyncio.gather(
        *(
            http.put(f"/sessions/{sid}/solution", json={"apis": "POST /x"}, headers=bearer(token))
            for _ in range(20)
        )
    )
    limited = [a for a in answers if a.status_code == 429]
    assert limited, [a.status_code for a in answers]
    assert limited[0].json()["error"]["code"] == "rate_limited"
    assert int(limited[0].headers["Retry-After"]) >= 1
    # Another account is not slowed down by it.
    _, other = await account()
    other_sid = (await start_session(app.url, other, slug="rate-limiter"))["id"]
    fine = await http.put(
        f"/sessions/{other_sid}/solution", json={"apis": "GET /"}, headers=bearer(other)
    )
    assert fine.status_code == 200, fine.text


async def test_one_account_cannot_open_unbounded_sockets(
    app: AppProcess, account: MakeAccount, open_room: OpenRoom
) -> None:
    _, token = await account()
    sid = (await start_session(app.url, token, slug="news-feed"))["id"]
    held = [await ready(await open_room(app.url, sid, token)) for _ in range(SOCKETS_PER_USER)]

    refused = await open_room(app.url, sid, token)
    code, _ = await asyncio.wait_for(refused.closed, 10)
    assert code == 4429
    assert refused.frames[0]["code"] == "too_many_sockets"

    await held[0].close()  # a closed socket gives its slot back at once
    replacement = await open_room(app.url, sid, token)
    await replacement.wait_for(lambda frames: bool(frames))
    assert replacement.frames[0]["type"] == "snapshot"


def tiny_window_socket(url: str) -> sockets.socket:
    """A TCP connection that advertises a 4 KiB receive window, so a client that stops reading
    pushes back on the server within a few frames."""
    parts = urlsplit(url)
    sock = sockets.socket(sockets.AF_INET, sockets.SOCK_STREAM)
    sock.setsockopt(sockets.SOL_SOCKET, sockets.SO_RCVBUF, 4096)
    sock.connect((parts.hostname or "127.0.0.1", parts.port or 80))
    sock.setblocking(False)
    return sock


async def test_a_socket_that_stops_reading_is_let_go_and_the_room_goes_on(
    app: AppProcess, account: MakeAccount, open_room: OpenRoom
) -> None:
    _, candidate = await account()
    interviewer_id, interviewer = await account("interviewer")
    sid = (await start_session(app.url, candidate, slug="parking-lot"))["id"]
    writer = await ready(await open_room(app.url, sid, candidate))
    url = app.url.replace("http", "ws") + f"/ws/sessions/{sid}"
    # max_queue=1: the client library stops reading the connection after one unread frame, and
    # its 4 KiB receive window soon shuts: the server's writes to it stall.
    stalled = await connect(
        url,
        subprotocols=["bearer", interviewer],  # type: ignore[list-item]
        sock=tiny_window_socket(app.url),
        max_queue=1,
        ping_interval=None,  # the stalled client must not give up on its own
    )
    await writer.wait_for(
        lambda frames: any(
            f["type"] == "presence.joined" and f["user_id"] == str(interviewer_id) for f in frames
        )
    )
    big = "x" * (MAX_SECTION_CHARS - 10)

    def interviewer_left(frames: list[dict[str, object]]) -> bool:
        return any(
            f["type"] == "presence.left" and f["user_id"] == str(interviewer_id) for f in frames
        )

    async def keep_drafting() -> None:
        n = 0
        while not interviewer_left(writer.frames):
            n += 1
            reply = await writer.command("draft", section="code", text=f"{n:06d}{big}")
            assert reply["type"] == "ack" or reply["code"] == "rate_limited", reply
            await asyncio.sleep(1 / (COMMANDS_PER_SEC * 0.8))  # under the account's rate

    # The server stops queueing for it and lets it go: its presence leaves the room.
    await asyncio.wait_for(keep_drafting(), SEND_STALL_SECS + 60)
    stalled.transport.abort()

    # The writer and the room are unharmed, and the interviewer comes back with the latest draft.
    assert not writer.closed.done()
    last = await writer.command("draft", section="apis", text="after the stalled socket")
    assert last["type"] == "ack"
    back = await ready(await open_room(app.url, sid, interviewer))
    snapshot = next(f for f in back.frames if f["type"] == "snapshot")
    assert snapshot["state"]["draft"]["apis"] == "after the stalled socket"
