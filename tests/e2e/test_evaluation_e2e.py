"""The evaluation pipeline end to end: app processes, worker processes, a local OpenAI server.

Submit (WebSocket or REST) -> taskiq job on the Redis stream -> a worker streams the model's
feedback into the room -> every socket gets the same deltas in order -> one stored evaluation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.tables import Evaluation, Solution
from tests.e2e.conftest import Account, RoomClient
from tests.support.fake_openai import FEEDBACK, GOOD_RESULT, FakeOpenAI, Reply
from tests.support.servers import AppProcess
from tests.support.workers import kill_hard, start_worker

pytestmark = pytest.mark.e2e

OpenRoom = Callable[..., Awaitable[RoomClient]]
MakeAccount = Callable[..., Awaitable[Account]]
# Short enough for a test to wait out; the production defaults are minutes.
TEST_PIPELINE_ENV = {
    "OPENAI_API_KEY": "sk-test",
    "OPENAI_MODEL": "fake-model",
    "TASK_REDELIVERY_SECS": "2",
    "EVALUATION_STUCK_SECS": "6",
    "EVALUATION_TIMEOUT_SECS": "10",
    "EVALUATION_MAX_ATTEMPTS": "2",
    "EVALUATION_BACKOFF_SECS": "0.05",
    "EVALUATION_WATCHDOG_SECS": "0.5",
}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def worker_env(app_env: dict[str, str], fake: FakeOpenAI) -> dict[str, str]:
    return {**app_env, **TEST_PIPELINE_ENV, "OPENAI_BASE_URL": fake.url}


@pytest.fixture(scope="module")
def workers(
    worker_env: dict[str, str], artifacts: Path, app: AppProcess
) -> Iterator[list[AppProcess]]:
    """The running workers (a test may kill one and start another); all stopped at the end."""
    running = [start_worker(worker_env, artifacts)]
    yield running
    for worker in running:
        worker.stop()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def design_session(base: str, token: str, slug: str, sections: dict[str, str]) -> str:
    async with httpx.AsyncClient(base_url=base, timeout=10, headers=bearer(token)) as http:
        started = await http.post(f"/questions/{slug}/sessions", json={"mode": "untimed"})
        assert started.status_code in (200, 201), started.text
        sid: str = started.json()["id"]
        assert (await http.get(f"/sessions/{sid}/evaluation")).status_code == 404
        assert (await http.post(f"/sessions/{sid}/design")).status_code == 200
        assert (await http.put(f"/sessions/{sid}/solution", json=sections)).status_code == 200
    return sid


def evaluation_stream(client: RoomClient) -> list[tuple[int, str, Any]]:
    return [
        (f["seq"], f["type"], f.get("text") or f.get("reason") or f.get("result"))
        for f in client.events()
        if f["type"].startswith("evaluation.")
    ]


def has(kind: str, count: int = 1) -> Callable[[list[dict[str, Any]]], bool]:
    return lambda frames: sum(f["type"] == kind for f in frames) >= count


async def evaluation_rows(session_id: str) -> int:
    solution = await Solution.select(Solution.id).where(Solution.session_id == session_id).first()
    assert solution is not None, "the solution row is written before the submit is acked"
    return await Evaluation.count().where(Evaluation.solution_id == solution["id"])


async def test_candidate_and_observer_get_the_same_stream_then_one_stored_result(
    app: AppProcess,
    second_app: AppProcess,
    workers: list[AppProcess],
    fake: FakeOpenAI,
    account: MakeAccount,
    open_room: OpenRoom,
) -> None:
    candidate_id, candidate = await account("candidate", "Cleo")
    _, interviewer = await account("interviewer", "Iris")
    marker = fake.script("e2e-happy", Reply(chunk_chars=6, chunk_delay=0.005))
    sid = await design_session(
        app.url,
        candidate,
        "url-shortener",
        {"functional_req": f"Shorten links {marker}", "apis": "POST /urls"},
    )
    cand = await open_room(second_app.url, sid, candidate)
    obs = await open_room(app.url, sid, interviewer)
    for client in (cand, obs):
        await client.wait_for(has("snapshot"))

    assert (await cand.command("submit"))["type"] == "ack"
    for client in (obs, cand):
        await client.wait_for(has("evaluation.completed"), 20)

    stream = evaluation_stream(obs)
    assert stream == evaluation_stream(cand), "identical deltas, identical order"
    assert [s for s, _, _ in stream] == sorted({s for s, _, _ in stream})
    deltas = [text for _, kind, text in stream if kind == "evaluation.delta"]
    assert len(deltas) >= 2 and "".join(deltas).strip() == FEEDBACK
    result = stream[-1][2]
    assert result["evaluator"] == "openai:fake-model" and result["score"] == GOOD_RESULT["score"]

    async with httpx.AsyncClient(base_url=app.url, timeout=10, headers=bearer(candidate)) as http:
        got = await http.get(f"/sessions/{sid}/evaluation")
        assert got.status_code == 200 and got.json() == result
        assert got.json()["follow_up_questions"] == GOOD_RESULT["follow_up_questions"]
        retry = await http.post(f"/sessions/{sid}/evaluation/retry")
        assert retry.status_code == 409 and retry.json()["error"]["code"] == "evaluation_done"
        stats = (await http.get("/me/stats")).json()
        assert stats["sessions_completed"] == 1 and stats["problems_solved"] == 1
        assert stats["rank"] >= 1 and stats["average_score"] == GOOD_RESULT["score"]
        board = (await http.get("/leaderboard", params={"limit": 100})).json()
        assert str(candidate_id) in [entry["user_id"] for entry in board["entries"]]
        plan = (await http.get("/me/study-plan")).json()
        assert plan["items"][0]["area"] == "apis" and plan["items"][0]["questions"]
    assert await evaluation_rows(sid) == 1
    assert len(fake.calls_for("e2e-happy")) == 1


async def test_a_failed_evaluation_is_shown_and_can_be_retried(
    app: AppProcess,
    workers: list[AppProcess],
    fake: FakeOpenAI,
    account: MakeAccount,
    open_room: OpenRoom,
) -> None:
    _, candidate = await account()
    down = Reply(kind="status", status=500)
    marker = fake.script("e2e-fails", down, down, Reply())  # two attempts per job, then fine
    sid = await design_session(app.url, candidate, "rate-limiter", {"apis": f"allow() {marker}"})
    room = await open_room(app.url, sid, candidate)
    async with httpx.AsyncClient(base_url=app.url, timeout=10, headers=bearer(candidate)) as http:
        assert (await http.post(f"/sessions/{sid}/submit")).status_code == 202
        await room.wait_for(has("evaluation.failed"), 20)
        progress = await http.get(f"/sessions/{sid}/evaluation")
        assert progress.status_code == 202
        body = progress.json()
        assert (
            body["status"] == "failed" and body["retry_allowed"] and "HTTP 500" in body["failure"]
        )
        assert (await http.get(f"/sessions/{sid}")).json()["failure"] == body["failure"]

        retried = await http.post(f"/sessions/{sid}/evaluation/retry")
        assert retried.status_code == 202 and retried.json()["status"] == "queued"
        again = await http.post(f"/sessions/{sid}/evaluation/retry")
        assert again.status_code == 409, "one retry at a time"
        await room.wait_for(has("evaluation.completed"), 20)
        assert (await http.get(f"/sessions/{sid}/evaluation")).status_code == 200
    assert await evaluation_rows(sid) == 1 and len(fake.calls_for("e2e-fails")) == 3


async def test_a_worker_killed_mid_evaluation_is_replaced_and_one_row_is_stored(
    app: AppProcess,
    workers: list[AppProcess],
    worker_env: dict[str, str],
    artifacts: Path,
    fake: FakeOpenAI,
    account: MakeAccount,
    open_room: OpenRoom,
) -> None:
    _, candidate = await account()
    slow = Reply(chunk_chars=4, chunk_delay=0.1)  # about 15 s of streaming: killed long before
    marker = fake.script("e2e-kill", slow, Reply())
    sid = await design_session(app.url, candidate, "lru-cache", {"code": f"class LRU {marker}"})
    room = await open_room(app.url, sid, candidate)
    async with httpx.AsyncClient(base_url=app.url, timeout=10, headers=bearer(candidate)) as http:
        assert (await http.post(f"/sessions/{sid}/submit")).status_code == 202
        await room.wait_for(has("evaluation.delta", 3), 20)
        running = (await http.get(f"/sessions/{sid}/evaluation")).json()
        assert running["status"] == "running" and running["feedback_so_far"]

        replacement = await asyncio.to_thread(start_worker, worker_env, artifacts)
        doomed = workers.pop()
        workers.append(replacement)
        kill_hard(doomed)
        await room.wait_for(has("evaluation.completed"), 30)
        result = (await http.get(f"/sessions/{sid}/evaluation")).json()

    assert result["score"] == GOOD_RESULT["score"]
    assert await evaluation_rows(sid) == 1
    calls = fake.calls_for("e2e-kill")
    assert [c.stream for c in calls] == [True, True], "the second worker streamed it again"
    kinds = [kind for _, kind, _ in evaluation_stream(room)]
    assert kinds.count("evaluation.started") == 2 and kinds.count("evaluation.completed") == 1
    last_start = len(kinds) - 1 - kinds[::-1].index("evaluation.started")
    restarted = "".join(
        t for _, k, t in evaluation_stream(room)[last_start:] if k.endswith("delta")
    )
    assert restarted.strip() == FEEDBACK, "the fresh stream carries the whole feedback once"
