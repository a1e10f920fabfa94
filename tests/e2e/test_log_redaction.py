"""Tokens sent in URLs never reach the server's log; the request lines still do, redacted."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import uuid

import httpx
import pytest
import websockets
from websockets.asyncio.client import connect

from tests.support.servers import AppProcess

pytestmark = pytest.mark.e2e

REDACTED = "[redacted]"
# uvicorn writes a line as the response goes out; the log is read only after this long.
LOG_WAIT_SECS = 5.0


def recognisable(kind: str) -> str:
    return f"leak-{kind}-{secrets.token_hex(8)}"


async def open_socket(url: str) -> None:
    """Attempts the handshake and reads until the server ends it; a refusal is expected."""
    with contextlib.suppress(websockets.exceptions.WebSocketException, OSError):
        async with connect(url, open_timeout=5) as ws:
            async for _ in ws:
                pass


async def log_containing(app: AppProcess, needles: list[str]) -> str:
    assert app.log_path is not None
    text = ""
    for _ in range(int(LOG_WAIT_SECS / 0.1)):
        text = app.log_path.read_text(errors="replace")
        if all(needle in text for needle in needles):
            break
        await asyncio.sleep(0.1)
    return text


async def test_tokens_in_urls_are_redacted_from_the_access_log(app: AppProcess) -> None:
    query_token, ticket, socket_token, invite, bearer = (
        recognisable(kind) for kind in ("query", "ticket", "socket", "invite", "bearer")
    )
    session_id = uuid.uuid4()
    async with httpx.AsyncClient(base_url=app.url, timeout=10) as http:
        assert (await http.get("/config", params={"token": query_token})).status_code == 200
        await http.get("/health", params={"ticket": ticket, "access_token": ticket})
        accept = await http.post(
            f"/invites/{invite}/accept", headers={"Authorization": f"Bearer {bearer}"}
        )
        assert accept.status_code >= 400
    ws_url = app.url.replace("http", "ws", 1)
    await open_socket(f"{ws_url}/ws/sessions/{session_id}?token={socket_token}")

    request_lines = [
        f'"GET /config?token={REDACTED} HTTP/1.1" 200',
        f"/health?ticket={REDACTED}&access_token={REDACTED}",
        f'"POST /invites/{REDACTED}/accept HTTP/1.1" {accept.status_code}',
        f'"WebSocket /ws/sessions/{session_id}?token={REDACTED}"',
    ]
    log = await log_containing(app, request_lines)
    for line in request_lines:
        assert line in log, f"missing request line {line!r}"
    for secret in (query_token, ticket, socket_token, invite, bearer):
        assert secret not in log, f"{secret} leaked into {app.log_path}"
