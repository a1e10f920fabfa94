"""Without OPENAI_API_KEY: the offline rubric evaluator runs the same pipeline, labelled as such,
and progress (stats, leaderboard, study plan, acceptance rate) follows the evaluations."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.operations.seed import load_bank
from tests.e2e.conftest import Account, RoomClient
from tests.support.servers import AppProcess
from tests.support.workers import start_worker

pytestmark = pytest.mark.e2e

OpenRoom = Callable[..., Awaitable[RoomClient]]
MakeAccount = Callable[..., Awaitable[Account]]
SLUG = "notification-service"
QUESTION = next(q for q, _ in load_bank() if q.slug == SLUG)


@pytest.fixture(scope="module")
def rubric_worker(
    app_env: dict[str, str], artifacts: Path, app: AppProcess
) -> Iterator[AppProcess]:
    env = {k: v for k, v in app_env.items() if not k.startswith("OPENAI_")}
    worker = start_worker(env, artifacts)
    yield worker
    worker.stop()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def evaluate(
    app: AppProcess, open_room: OpenRoom, token: str, answer: dict[str, str]
) -> tuple[dict[str, Any], RoomClient]:
    """Starts a session, drafts `answer` over REST, submits over the WebSocket, waits."""
    async with httpx.AsyncClient(base_url=app.url, timeout=10, headers=bearer(token)) as http:
        sid = (await http.post(f"/questions/{SLUG}/sessions", json={"mode": "untimed"})).json()[
            "id"
        ]
        await http.post(f"/sessions/{sid}/design")
        await http.put(f"/sessions/{sid}/solution", json=answer)
        room = await open_room(app.url, sid, token)
        assert (await room.command("submit"))["type"] == "ack"
        await room.wait_for(lambda fs: any(f["type"] == "evaluation.completed" for f in fs), 20)
        got = await http.get(f"/sessions/{sid}/evaluation")
        assert got.status_code == 200
    return got.json(), room


async def test_rubric_evaluator_scores_streams_and_feeds_progress(
    app: AppProcess,
    rubric_worker: AppProcess,
    account: MakeAccount,
    open_room: OpenRoom,
) -> None:
    strong_id, strong_token = await account("candidate", "Stella")
    weak_id, weak_token = await account("candidate", "Walt")
    strong, room = await evaluate(app, open_room, strong_token, dict(QUESTION.reference_solution))
    weak, _ = await evaluate(app, open_room, weak_token, dict(QUESTION.weak_solution))

    assert strong["evaluator"] == weak["evaluator"] == "rubric"
    assert strong["score"] >= weak["score"] + 30
    assert weak["weaknesses"] and weak["improvement_points"] and strong["strengths"]
    deltas = [f["text"] for f in room.events() if f["type"] == "evaluation.delta"]
    assert len(deltas) >= 5 and "".join(deltas).strip() == strong["feedback"]
    started = next(f for f in room.events() if f["type"] == "evaluation.started")
    assert started["evaluator"] == "rubric"

    async with httpx.AsyncClient(base_url=app.url, timeout=10) as http:
        board = (
            await http.get("/leaderboard", params={"limit": 100}, headers=bearer(weak_token))
        ).json()
        ranks = {entry["user_id"]: entry["rank"] for entry in board["entries"]}
        assert ranks[str(strong_id)] < ranks[str(weak_id)]
        weak_stats = (await http.get("/me/stats", headers=bearer(weak_token))).json()
        assert weak_stats["problems_solved"] == 0 and weak_stats["sessions_completed"] == 1
        assert weak_stats["best_score"] == weak["score"]
        assert set(weak_stats["time_by_phase"]) == {"clarifying", "design"}
        plan = (await http.get("/me/study-plan", headers=bearer(weak_token))).json()
        assert plan["items"] and all(item["questions"] for item in plan["items"])
        assert plan["items"][0]["average_score"] <= plan["items"][-1]["average_score"]
        question = (await http.get(f"/questions/{SLUG}")).json()
        assert 0 < question["acceptance_rate"] < 100
