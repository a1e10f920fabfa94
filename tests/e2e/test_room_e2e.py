"""A whole interview across two real app processes, over REST and WebSocket alike."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from tests.e2e.conftest import Account, RoomClient
from tests.support.servers import AppProcess, SuiteServers

pytestmark = pytest.mark.e2e

OpenRoom = Callable[..., Awaitable[RoomClient]]
MakeAccount = Callable[..., Awaitable[Account]]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def start_session(
    base: str, token: str, slug: str = "parking-lot", **body: Any
) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        response = await http.post(f"/questions/{slug}/sessions", json=body, headers=bearer(token))
        assert response.status_code in (200, 201), response.text
        return response.json()


def seqs(client: RoomClient) -> list[int]:
    return [f["seq"] for f in client.events()]


async def test_candidate_and_observer_on_two_processes_run_a_whole_interview(
    app: AppProcess,
    second_app: AppProcess,
    account: MakeAccount,
    open_room: OpenRoom,
) -> None:
    candidate_id, candidate = await account("candidate", "Cora")
    _, interviewer = await account("interviewer", "Ivan")
    session = await start_session(app.url, candidate)
    sid = session["id"]
    assert session["phase"] == "clarifying" and session["role"] == "candidate"

    cand = await open_room(app.url, sid, candidate)
    obs = await open_room(second_app.url, sid, interviewer, via="query")
    await cand.wait_for(lambda fs: any(f["type"] == "snapshot" for f in fs))
    await obs.wait_for(lambda fs: any(f["type"] == "snapshot" for f in fs))
    assert obs.frames[0]["state"]["phase"] == "clarifying"

    ack = await cand.command("clarify", question="How many floors does the parking lot have?")
    assert ack["type"] == "ack" and ack["seq"]
    await obs.wait_for(lambda fs: any(f["type"] == "clarification.answered" for f in fs))
    answered = next(f for f in obs.frames if f["type"] == "clarification.answered")
    assert answered["answered_by"] == "rules" and answered["answer"]

    assert (await obs.command("note", text="asks about scale first"))["type"] == "ack"
    assert (await obs.command("hint", text="think about spot types"))["type"] == "ack"
    async with httpx.AsyncClient(base_url=second_app.url, timeout=10) as http:
        moved = await http.post(f"/sessions/{sid}/design", headers=bearer(candidate))
        assert moved.status_code == 200 and moved.json()["phase"] == "design"
        saved = await http.put(
            f"/sessions/{sid}/solution",
            headers=bearer(candidate),
            json={"entities": "Lot, Floor, Spot, Ticket", "language": "java"},
        )
        assert saved.json()["draft"]["entities"] == "Lot, Floor, Spot, Ticket"
    assert (await cand.command("draft", section="apis", text="POST /tickets"))["type"] == "ack"
    await obs.wait_for(lambda fs: any(f.get("text") == "POST /tickets" for f in fs))

    async with httpx.AsyncClient(base_url=app.url, timeout=10) as http:
        submitted = await http.post(f"/sessions/{sid}/submit", headers=bearer(candidate))
        assert submitted.status_code == 202 and submitted.json()["phase"] == "submitted"
        state = (await http.get(f"/sessions/{sid}", headers=bearer(candidate))).json()
        assert state["phase"] == "submitted" and state["notes"] == []
        observer_view = (await http.get(f"/sessions/{sid}", headers=bearer(interviewer))).json()
        assert [n["text"] for n in observer_view["notes"]] == ["asks about scale first"]
        replay = (await http.get(f"/sessions/{sid}/events", headers=bearer(candidate))).json()
        types = [e["type"] for e in replay["events"]]
        assert "solution.submitted" in types and "note.added" not in types
        full = (await http.get(f"/sessions/{sid}/events", headers=bearer(interviewer))).json()
        assert "note.added" in [e["type"] for e in full["events"]]

    last = max(seqs(obs))
    await cand.wait_for(lambda fs: any(f.get("seq") == last for f in fs) or max(seqs(cand)) >= last)
    assert all(f["type"] != "note.added" for f in cand.frames)
    for client in (cand, obs):
        got = seqs(client)
        assert got == sorted(set(got)), "no duplicates, no reordering"
    assert seqs(obs) == list(range(seqs(obs)[0], last + 1))
    present = set(obs.frames[0]["state"]["presence"])  # the snapshot, then joins as they happen
    present |= {f["user_id"] for f in obs.frames if f["type"] == "presence.joined"}
    assert str(candidate_id) in present


async def test_resume_on_the_other_process_after_sigkill_loses_nothing(
    app_env: dict[str, str],
    artifacts: Path,
    app: AppProcess,
    account: MakeAccount,
    open_room: OpenRoom,
) -> None:
    doomed = AppProcess(env=app_env).start(artifacts)
    _, candidate = await account()
    _, interviewer = await account("interviewer")
    sid = (await start_session(app.url, candidate, slug="lru-cache"))["id"]
    obs = await open_room(doomed.url, sid, interviewer)
    cand = await open_room(app.url, sid, candidate)
    await cand.command("advance", to="design")
    for i in range(10):
        await cand.command("draft", section="code", text=f"class LRU: pass  # v{i}")
    await obs.wait_for(lambda fs: any(f.get("text", "").endswith("v9") for f in fs))
    doomed.stop(signal.SIGKILL)
    await asyncio.wait_for(obs.closed, 10)
    seen = seqs(obs)
    for i in range(10, 20):
        await cand.command("draft", section="code", text=f"class LRU: pass  # v{i}")
    resumed = await open_room(app.url, sid, interviewer, after=seen[-1])
    await resumed.wait_for(lambda fs: any(f.get("text", "").endswith("v19") for f in fs))
    got = seen + seqs(resumed)
    assert got == list(range(got[0], got[-1] + 1)), "exactly the missed events, in order"
    assert not any(f["type"] == "snapshot" for f in resumed.frames)


async def test_phase_timer_fires_exactly_once_across_two_processes(
    app: AppProcess,
    second_app: AppProcess,
    account: MakeAccount,
    open_room: OpenRoom,
) -> None:
    _, candidate = await account()
    sid = (
        await start_session(
            app.url, candidate, slug="tic-tac-toe", durations={"clarifying": 10, "design": 600}
        )
    )["id"]
    watcher = await open_room(second_app.url, sid, candidate)
    await watcher.wait_for(
        lambda fs: any(f["type"] == "phase.changed" and f["to_phase"] == "design" for f in fs), 20
    )
    # The log is ordered: a second firing of these timers would race the first, so it would
    # be in the log before this later event, which the watcher receives in order.
    marker = await watcher.command("draft", section="entities", text="Board, Player")
    assert marker["type"] == "ack" and marker["seq"]
    await watcher.wait_for(lambda fs: any(f.get("seq") == marker["seq"] for f in fs))
    changes = [f for f in watcher.frames if f["type"] == "phase.changed"]
    warnings = [f for f in watcher.frames if f["type"] == "timer.warning"]
    assert len(changes) == 1 and changes[0]["reason"] == "timer"
    assert len(warnings) == 1


async def test_a_room_comes_back_from_postgres_after_redis_is_flushed(
    app: AppProcess,
    servers: SuiteServers,
    account: MakeAccount,
    open_room: OpenRoom,
) -> None:
    _, candidate = await account()
    sid = (await start_session(app.url, candidate, slug="vending-machine"))["id"]
    client = await open_room(app.url, sid, candidate)
    await client.command("clarify", question="Which payment methods are accepted?")
    await client.command("advance", to="design")  # a phase change is snapshotted at once
    await client.close()
    async with aioredis.Redis.from_url(servers.redis_url) as redis:
        await redis.flushdb()
    async with httpx.AsyncClient(base_url=app.url, timeout=10) as http:
        state = (await http.get(f"/sessions/{sid}", headers=bearer(candidate))).json()
    assert state["phase"] == "design" and len(state["clarifications"]) == 1
    again = await open_room(app.url, sid, candidate)
    assert (await again.command("draft", section="entities", text="Machine, Slot"))["type"] == "ack"
