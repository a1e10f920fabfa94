"""Postgres goes away mid-session (issue 13, finding 2): every answer tells the truth. What
must be durable first is refused with a coded 503 and not applied; what Redis holds goes on;
everything works again once Postgres is back."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from server.accounts.tokens import Principal, issue_access_token
from server.operations.embedded import EmbeddedPostgres, EmbeddedValkey
from server.settings import load_settings
from tests.e2e.conftest import RoomClient
from tests.e2e.test_room_e2e import bearer
from tests.support.servers import REPO, AppProcess

pytestmark = pytest.mark.e2e

OpenRoom = Callable[..., Awaitable[RoomClient]]


@dataclass
class Outage:
    postgres: EmbeddedPostgres
    app: AppProcess
    port: int
    token: str

    async def stop_postgres(self) -> None:
        # In a thread: the test's own sockets keep being read while Postgres shuts down.
        await asyncio.to_thread(self.postgres.stop)

    async def start_postgres(self) -> None:
        await asyncio.to_thread(self.postgres.start, self.port)


def _migrate(env: dict[str, str]) -> None:
    for command in ("migrate", "seed"):
        subprocess.run(
            [sys.executable, "-m", "server.operations.cli", command],
            env={**os.environ, **env},
            cwd=REPO,
            check=True,
            capture_output=True,
        )


def _candidate(database_url: str, settings_env: dict[str, str]) -> str:
    """A user in the private database and an access token for them."""
    import asyncio

    import asyncpg

    user_id = uuid.uuid4()

    async def insert() -> None:
        conn = await asyncpg.connect(database_url)
        try:
            now = datetime.now(UTC)
            await conn.execute(
                "INSERT INTO users (id, email, name, role, created_at, updated_at)"
                " VALUES ($1, $2, 'Ada', 'candidate', $3, $3)",
                user_id,
                f"{user_id.hex[:10]}@example.test",
                now,
            )
        finally:
            await conn.close()

    asyncio.run(insert())
    settings = load_settings(settings_env)
    return issue_access_token(settings, Principal(user_id, "candidate", uuid.uuid4())).token


@pytest.fixture
def outage(
    app_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory, artifacts: Path
) -> Iterator[Outage]:
    # A deployment of its own: its own Postgres (to stop) and its own Valkey, so the suite's
    # other app processes, which share the suite's Redis, never touch its rooms.
    data = tmp_path_factory.mktemp("private-servers")
    postgres, valkey = EmbeddedPostgres(data), EmbeddedValkey(data)
    url = postgres.start()
    env = {**app_env, "DATABASE_URL": url, "REDIS_URL": valkey.start()}
    _migrate(env)
    token = _candidate(url, env)
    app = AppProcess(env=env).start(artifacts)
    try:
        yield Outage(postgres, app, urlparse(url).port or 0, token)
    finally:
        app.stop()
        postgres.stop()
        valkey.stop()


async def test_with_postgres_down_answers_are_true_and_nothing_lies(
    outage: Outage, open_room: OpenRoom
) -> None:
    base, token = outage.app.url, outage.token
    async with httpx.AsyncClient(base_url=base, timeout=20) as http:
        started = await http.post("/questions/parking-lot/sessions", json={}, headers=bearer(token))
        assert started.status_code == 201, started.text
        sid = started.json()["id"]
        room = await open_room(base, sid, token)
        await room.wait_for(lambda frames: any(f["type"] == "snapshot" for f in frames))

        await outage.stop_postgres()
        # A draft lives in Redis: acknowledged, and archived once Postgres is back.
        draft = await room.command("draft", section="entities", text="Lot, Spot")
        assert draft["type"] == "ack", draft
        # A phase change must be in Postgres before anyone sees it: refused, not applied.
        advance = await room.command("advance", to="design")
        assert (advance["type"], advance["code"]) == ("error", "room_unavailable"), advance
        assert not [f for f in room.frames if f["type"] == "phase.changed"]
        rest = await http.post(f"/sessions/{sid}/design", headers=bearer(token))
        assert rest.status_code == 503, rest.text
        assert rest.headers["Retry-After"] == "5"
        assert rest.json()["error"]["code"] in ("room_unavailable", "unavailable")
        # Reading Postgres: a coded 503, not a 500.
        listing = await http.get("/sessions", headers=bearer(token))
        assert listing.status_code == 503 and listing.json()["error"]["code"] == "unavailable"
        # A new socket: the documented error frame and close code, not an HTTP 403.
        refused = await open_room(base, sid, token)
        code, _ = await refused.closed
        assert code == 4503 and refused.frames[0]["code"] == "unavailable"

        await outage.start_postgres()
        view = (await http.get(f"/sessions/{sid}", headers=bearer(token))).json()
        assert view["phase"] == "clarifying", "the refused advance was never applied"
        assert view["draft"]["entities"] == "Lot, Spot"
        again = await room.command("advance", to="design")
        assert again["type"] == "ack", again
