"""End-to-end fixtures: accounts with real tokens, a second app process, WebSocket clients."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest
from websockets.asyncio.client import ClientConnection, connect

from domain.tables import User
from server.accounts.tokens import Principal, issue_access_token
from server.settings import load_settings
from tests.support.servers import AppProcess


@pytest.fixture(scope="session")
def second_app(app_env: dict[str, str], artifacts: Path) -> Iterator[AppProcess]:
    """Another app process on the same Postgres and Redis: a second node behind a balancer."""
    process = AppProcess(env=app_env).start(artifacts)
    try:
        yield process
    finally:
        process.stop()


Account = tuple[uuid.UUID, str]


@pytest.fixture
def account(app_env: dict[str, str], database: str) -> Callable[..., Awaitable[Account]]:
    """Creates a user and returns (id, access token) signed with the app's own secret."""
    settings = load_settings(app_env)

    async def make(role: str = "candidate", name: str = "Ada") -> Account:
        user_id = uuid.uuid4()
        now = datetime.now(UTC)
        await User.insert(
            User(
                id=user_id,
                email=f"{user_id.hex[:10]}@example.test",
                name=name,
                role=role,
                created_at=now,
                updated_at=now,
            )
        )
        token = issue_access_token(settings, Principal(user_id, role, uuid.uuid4())).token
        return user_id, token

    return make


class RoomClient:
    """A WebSocket client that collects every frame and matches acks to command ids."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: list[dict[str, Any]] = []
        self._replies: dict[Any, asyncio.Future[dict[str, Any]]] = {}
        self._arrived = asyncio.Event()
        self._task = asyncio.create_task(self._read())
        self.closed: asyncio.Future[tuple[int | None, str | None]] = (
            asyncio.get_running_loop().create_future()
        )
        self._next_id = 0

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                frame = msgspec.json.decode(raw)
                self.frames.append(frame)
                self._arrived.set()
                reply = (
                    self._replies.pop(frame.get("id"), None)
                    if frame["type"] in ("ack", "error", "pong")
                    else None
                )
                if reply and not reply.done():
                    reply.set_result(frame)
        finally:
            if not self.closed.done():
                self.closed.set_result((self.ws.close_code, self.ws.close_reason))

    async def command(self, type_: str, **fields: Any) -> dict[str, Any]:
        self._next_id += 1
        command_id = f"c-{self._next_id}-{uuid.uuid4().hex[:6]}"
        return await self.send_raw(
            msgspec.json.encode({"type": type_, "id": command_id, **fields}).decode(), command_id
        )

    async def send_raw(self, text: str, reply_id: Any = None) -> dict[str, Any]:
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._replies[reply_id] = future
        await self.ws.send(text)
        return await asyncio.wait_for(future, 10)

    def events(self) -> list[dict[str, Any]]:
        return [f for f in self.frames if "." in f["type"]]  # room events have dotted types

    async def wait_for(
        self, predicate: Callable[[list[dict[str, Any]]], bool], within_secs: float = 10.0
    ) -> None:
        async with asyncio.timeout(within_secs):
            while not predicate(self.frames):
                self._arrived.clear()
                await self._arrived.wait()

    async def close(self) -> None:
        await self.ws.close()
        with contextlib.suppress(Exception):
            await self._task


@pytest.fixture
async def open_room() -> AsyncIterator[Callable[..., Awaitable[RoomClient]]]:
    clients: list[RoomClient] = []

    async def open_(
        base_url: str,
        session_id: str,
        token: str,
        after: int | None = None,
        via: str = "subprotocol",
        extra_query: str | None = None,
    ) -> RoomClient:
        url = base_url.replace("http", "ws") + f"/ws/sessions/{session_id}"
        query = [] if after is None else [f"after={after}"]
        query += [extra_query] if extra_query else []
        kwargs: dict[str, Any] = {"max_size": 2**22}
        if via == "subprotocol":
            kwargs["subprotocols"] = ["bearer", token]
        else:
            query.append(f"token={token}")
        if query:
            url += "?" + "&".join(query)
        client = RoomClient(await connect(url, **kwargs))
        clients.append(client)
        return client

    yield open_
    for client in clients:
        with contextlib.suppress(Exception):
            await client.close()
