"""`interview-rooms serve` starting and stopping as an operator meets it: a taken port fails at
once with exit 3 and starts nothing; SIGTERM while rooms are busy ends the process within its
shutdown grace, exit 0, with no traceback from the stop in its log."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import msgspec
import pytest
from websockets.asyncio.client import ClientConnection, connect

from rooms.background import ARCHIVE_DELAY_SECS
from server.operations.serving import EXIT_STARTUP_FAILURE, SHUTDOWN_GRACE_SECS
from tests.e2e.conftest import Account
from tests.support.servers import REPO, AppProcess

pytestmark = pytest.mark.e2e

MakeAccount = Callable[..., Awaitable[Account]]
BUSY_ROOMS = 30
TABS_PER_ROOM = 2  # the candidate's two tabs
DRAFTS_PER_SEC = 8  # per tab: 16/s per account, under its command rate (20/s)
# Logged by code outside the stop path, with their owners: the room socket logs uvicorn's
# ClientDisconnected when it answers a command after the server's 1012 close
# (server/sessions/socket.py); the archiver logs the batch whose connection the stop had to
# terminate, after asyncpg wedged it on the archiver's cancellation (rooms/background.py).
ELSEWHERE = (
    re.compile(r"interview_rooms\.ws - socket - room socket failed in "),
    re.compile(r"interview_rooms\.rooms - background - archiving .* failed"),
)


def test_serve_on_a_taken_port_exits_3_at_once_and_starts_nothing(
    app_env: dict[str, str], tmp_path: Path
) -> None:
    with socket.socket() as holder:  # whatever else holds the port; it answers /health there
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        log = tmp_path / "serve.log"
        started = time.monotonic()
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "server.operations.cli", "serve", "--port", str(port)],
                env={**os.environ, **app_env, "HOST": "127.0.0.1"},
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=REPO,
            )
        try:
            code = process.wait(30)
        finally:
            process.kill()
        elapsed = time.monotonic() - started
    text = log.read_text()
    assert code == EXIT_STARTUP_FAILURE, text
    assert f"cannot serve on 127.0.0.1:{port}: address already in use" in text
    assert "Waiting for application startup" not in text, "no pool, no background loop"
    assert elapsed < 8, f"{elapsed:.1f} s to give up (interpreter start-up included)"


async def _type(ws: ClientConnection, acks: list[int], stop: asyncio.Event) -> None:
    """Sends drafts until `stop` or the server closes; counts the acks."""

    async def read() -> None:
        async for raw in ws:
            if msgspec.json.decode(raw).get("type") == "ack":
                acks.append(1)

    reader = asyncio.create_task(read())
    with contextlib.suppress(Exception):
        while not stop.is_set() and not reader.done():
            text = f"{uuid.uuid4().hex} " * 20
            command = {"type": "draft", "id": uuid.uuid4().hex, "section": "apis", "text": text}
            await ws.send(msgspec.json.encode(command).decode())
            await asyncio.sleep(1 / DRAFTS_PER_SEC)
    reader.cancel()
    with contextlib.suppress(BaseException):
        await reader


def _tracebacks(log: str) -> list[str]:
    """Each logged record that carries a traceback, as its first line."""
    records = re.split(r"\n(?=(?:DEBUG|INFO|WARNING|ERROR|CRITICAL)\b|\d{4}-\d\d-\d\d )", log)
    return [record.splitlines()[0] for record in records if "Traceback (most recent call" in record]


async def test_sigterm_under_load_ends_within_the_grace_without_a_traceback(
    app_env: dict[str, str], account: MakeAccount, tmp_path: Path
) -> None:
    server = AppProcess(env=app_env).start(tmp_path)
    stop, acks = asyncio.Event(), []
    sockets: list[ClientConnection] = []
    typing: list[asyncio.Task[None]] = []
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=20) as http:
            for _ in range(BUSY_ROOMS):
                _, token = await account()
                started = await http.post(
                    "/questions/parking-lot/sessions",
                    json={"mode": "untimed"},
                    headers={"Authorization": f"Bearer {token}"},
                )
                url = server.url.replace("http", "ws") + f"/ws/sessions/{started.json()['id']}"
                for _ in range(TABS_PER_ROOM):
                    sockets.append(await connect(url, subprotocols=["bearer", token]))
        typing += [asyncio.create_task(_type(ws, acks, stop)) for ws in sockets]
        # The rooms are busy: appends, fan-out, and the archiver writing their events.
        await asyncio.sleep(ARCHIVE_DELAY_SECS + 1.5)
        assert len(acks) > BUSY_ROOMS, "the load is real"
        assert server.process is not None
        began = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(server.process.wait, SHUTDOWN_GRACE_SECS + 5)
        elapsed = time.monotonic() - began
    finally:
        stop.set()
        server.stop(signal.SIGKILL)
        for ws in sockets:
            with contextlib.suppress(Exception):
                await ws.close()
    await asyncio.gather(*typing)
    log = server.log_path.read_text() if server.log_path else ""
    assert code == 0, log[-3000:]
    assert elapsed < SHUTDOWN_GRACE_SECS, f"stopped in {elapsed:.1f} s"
    assert "AttributeError" not in log
    ours = [line for line in _tracebacks(log) if not any(p.search(line) for p in ELSEWHERE)]
    assert ours == [], log[-5000:]
    assert "Application shutdown complete" in log
