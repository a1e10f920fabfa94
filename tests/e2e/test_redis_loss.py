"""Redis loses its data mid-session (issue 13, finding 1): no seq is used twice, the epoch
changes and live clients resync, a timed room still ends at its deadline, and a revoked token
stays revoked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest
import redis.asyncio as aioredis

from server.accounts import refresh_families
from server.accounts.tokens import Principal, issue_access_token
from server.settings import load_settings
from tests.e2e.conftest import Account, RoomClient
from tests.e2e.test_room_e2e import bearer, start_session
from tests.support.servers import AppProcess, SuiteServers

pytestmark = pytest.mark.e2e

MakeAccount = Callable[..., Awaitable[Account]]
OpenRoom = Callable[..., Awaitable[RoomClient]]


async def flush(servers: SuiteServers) -> None:
    async with aioredis.Redis.from_url(servers.redis_url) as redis:
        await redis.flushall()


def snapshots(client: RoomClient) -> list[dict[str, object]]:
    return [f for f in client.frames if f["type"] == "snapshot"]


async def test_after_a_flush_seqs_move_on_in_a_new_epoch_and_watchers_resync(
    app: AppProcess,
    second_app: AppProcess,
    servers: SuiteServers,
    account: MakeAccount,
    open_room: OpenRoom,
) -> None:
    _, candidate = await account()
    _, interviewer = await account("interviewer")
    sid = (await start_session(app.url, candidate, slug="parking-lot"))["id"]
    writer = await open_room(app.url, sid, candidate)
    watcher = await open_room(second_app.url, sid, interviewer)
    for client in (writer, watcher):
        await client.wait_for(lambda frames: any(f["type"] == "snapshot" for f in frames))
    first_epoch = snapshots(watcher)[0]["epoch"]
    acked = []
    for n in range(8):
        reply = await writer.command("draft", section="apis", text=f"GET /v{n}")
        acked.append(reply["seq"])
    await watcher.wait_for(
        lambda frames: any(f.get("seq") == max(acked) and "." in f["type"] for f in frames)
    )

    await flush(servers)
    after = [await writer.command("draft", section="apis", text=f"POST /v{n}") for n in range(3)]
    assert all(reply["type"] == "ack" for reply in after), after
    assert min(reply["seq"] for reply in after) > max(acked), "no seq is used twice"

    # The watcher, connected throughout, is told explicitly: a snapshot of the new epoch.
    await watcher.wait_for(lambda frames: len(snapshots(watcher)) >= 2, 15)
    resync = snapshots(watcher)[-1]
    assert resync["resumed"] is False and resync["epoch"] != first_epoch
    await watcher.wait_for(
        lambda frames: any(f.get("seq") == after[-1]["seq"] and "." in f["type"] for f in frames)
    )
    assert resync["state"]["draft"]["apis"] != "POST /v2" or resync["seq"] >= after[-1]["seq"]

    # A client resuming with its old epoch and seq gets a snapshot, never a silent gap.
    resumed = await open_room(
        app.url, sid, candidate, after=max(acked), extra_query=f"epoch={first_epoch}"
    )
    await resumed.wait_for(lambda frames: any(f["type"] == "snapshot" for f in frames))
    assert snapshots(resumed)[0]["epoch"] == resync["epoch"]
    async with httpx.AsyncClient(base_url=app.url, timeout=10) as http:
        view = (await http.get(f"/sessions/{sid}", headers=bearer(candidate))).json()
    assert view["epoch"] == resync["epoch"] and view["draft"]["apis"] == "POST /v2"


async def test_a_timed_room_still_ends_at_its_deadline_after_a_flush(
    app: AppProcess, servers: SuiteServers, account: MakeAccount, open_room: OpenRoom
) -> None:
    _, candidate = await account()
    durations = {"clarifying": 10, "design": 10}
    sid = (await start_session(app.url, candidate, slug="tic-tac-toe", durations=durations))["id"]
    client = await open_room(app.url, sid, candidate)
    assert (await client.command("advance", to="design"))["type"] == "ack"
    assert (await client.command("draft", section="code", text="class Board: ..."))["type"] == "ack"
    await client.close()

    await flush(servers)
    watcher = await open_room(app.url, sid, candidate)
    await watcher.wait_for(
        lambda frames: any(
            f["type"] == "phase.changed" and f["to_phase"] == "submitted" for f in frames
        ),
        30,
    )


async def test_a_token_revoked_before_the_flush_stays_revoked(
    app: AppProcess, app_env: dict[str, str], servers: SuiteServers, account: MakeAccount
) -> None:
    settings = load_settings(app_env)
    user_id, _ = await account()
    family = await refresh_families.start(
        settings, user_id, refresh_families.ClientInfo(user_agent="laptop")
    )
    token = issue_access_token(settings, Principal(user_id, "candidate", family.family_id)).token
    async with httpx.AsyncClient(base_url=app.url, timeout=10) as http:
        assert (await http.get("/me", headers=bearer(token))).status_code == 200
        assert (await http.post("/auth/logout-all", headers=bearer(token))).status_code == 204
        await flush(servers)
        refused = await http.get("/me", headers=bearer(token))
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "token_revoked"
