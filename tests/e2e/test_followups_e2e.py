"""Follow-up questions against the real server, over REST and the WebSocket: the candidate asks
for one and gets the bank's probe, an interviewer asks their own, the candidate answers both,
the refusals carry their codes, and the offline evaluation credits what the answers state."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from evaluator.followups import BankProbes
from tests.e2e.conftest import Account, RoomClient
from tests.support.servers import AppProcess
from tests.support.workers import start_worker

pytestmark = pytest.mark.e2e

OpenRoom = Callable[..., Awaitable[RoomClient]]
MakeAccount = Callable[..., Awaitable[Account]]
SLUG = "url-shortener"
PROBES = BankProbes().by_slug[SLUG]
ANSWER = (
    "Every app server leases a block of a million IDs from a counter, so two servers can never "
    "hand out the same code and no collision check is needed on the write path."
)


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


async def followups_of(http: httpx.AsyncClient, sid: str, count: int) -> list[dict[str, Any]]:
    """The session's follow-ups once it has `count` of them (the system writes its own)."""
    async with asyncio.timeout(10):
        while True:
            view = (await http.get(f"/sessions/{sid}")).json()
            if len(view["followups"]) >= count:
                found: list[dict[str, Any]] = view["followups"]
                return found
            await asyncio.sleep(0.1)


async def test_follow_ups_over_rest_and_the_socket_count_in_the_evaluation(
    app: AppProcess, rubric_worker: AppProcess, account: MakeAccount, open_room: OpenRoom
) -> None:
    _, token = await account("candidate", "Cora")
    _, staff = await account("interviewer", "Ivo")
    async with (
        httpx.AsyncClient(base_url=app.url, timeout=10, headers=bearer(token)) as http,
        httpx.AsyncClient(base_url=app.url, timeout=10, headers=bearer(staff)) as ivo,
    ):
        sid = (await http.post(f"/questions/{SLUG}/sessions", json={"mode": "untimed"})).json()[
            "id"
        ]
        early = await http.post(f"/sessions/{sid}/followups", json={"request": True})
        assert (early.status_code, early.json()["error"]["code"]) == (409, "phase_illegal")
        await http.post(f"/sessions/{sid}/design")
        room = await open_room(app.url, sid, token)

        asked = await http.post(f"/sessions/{sid}/followups", json={"request": True})
        assert asked.status_code == 200
        assert asked.json()["requested"] is True and asked.json()["followup_id"] is None
        again = await http.post(f"/sessions/{sid}/followups", json={})  # a request too
        assert (again.status_code, again.json()["error"]["code"]) == (409, "followup_pending")
        (first,) = await followups_of(http, sid, 1)
        # Nothing written yet: the first probe is asked, about hot links.
        assert (first["id"], first["question"], first["origin"], first["trigger"]) == (
            "f1",
            PROBES[0].question,
            "rubric",
            "request",
        )
        await room.wait_for(lambda fs: any(f["type"] == "followup.asked" for f in fs), 5)

        # The interviewer asks their own; the candidate may not, nor ask for the interviewer.
        own = await ivo.post(f"/sessions/{sid}/followups", json={"text": "Why a counter?"})
        assert own.status_code == 200 and own.json()["followup_id"] == "f2"
        forbidden = await http.post(f"/sessions/{sid}/followups", json={"text": "Me?"})
        assert forbidden.json()["error"]["code"] == "role_forbidden"
        bad = await http.post(f"/sessions/{sid}/followups", json={"request": False})
        assert (bad.status_code, bad.json()["error"]["code"]) == (400, "invalid_request")

        reply = await room.command("followup_answer", followup_id="f1", text="A cache in front.")
        assert reply["type"] == "ack"
        answered = await http.post(f"/sessions/{sid}/followups/f2/answer", json={"text": ANSWER})
        assert answered.status_code == 200
        twice = await http.post(f"/sessions/{sid}/followups/f2/answer", json={"text": "Again."})
        assert twice.json()["error"]["code"] == "followup_answered"
        unknown = await http.post(f"/sessions/{sid}/followups/f9/answer", json={"text": "Hm."})
        assert unknown.json()["error"]["code"] == "followup_unknown"
        view = (await http.get(f"/sessions/{sid}")).json()
        assert [f["answer"] for f in view["followups"]] == ["A cache in front.", ANSWER]

        assert (await room.command("submit"))["type"] == "ack"
        await room.wait_for(lambda fs: any(f["type"] == "evaluation.completed" for f in fs), 20)
        evaluation = (await http.get(f"/sessions/{sid}/evaluation")).json()
    # The answer to the interviewer's question (about no section: read with the extras) is
    # credited, quoted as the candidate said it.
    quoted = [
        c for c in evaluation["criteria"] if c.get("quote") and "leases a block" in c["quote"]
    ]
    assert quoted and all(c["level"] != "missing" for c in quoted)
