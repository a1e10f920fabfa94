"""The interviewer's answer key and the candidate's model answer (issue 14)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from domain.clarify import NEUTRAL_ANSWER
from domain.tables import ClarificationRule, Question
from tests.e2e.conftest import Account, RoomClient
from tests.e2e.test_room_e2e import bearer
from tests.support.servers import AppProcess

pytestmark = pytest.mark.e2e

MakeAccount = Callable[..., Awaitable[Account]]
OpenRoom = Callable[..., Awaitable[RoomClient]]


@pytest.fixture
async def http(app: AppProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=app.url, timeout=10) as client:
        yield client


async def test_the_interviewer_works_from_a_key_the_candidate_never_sees(
    app: AppProcess, http: httpx.AsyncClient, account: MakeAccount, open_room: OpenRoom
) -> None:
    _, candidate = await account()
    _, interviewer = await account("interviewer")
    _, peer = await account()
    sid = (
        await http.post("/questions/parking-lot/sessions", json={}, headers=bearer(candidate))
    ).json()["id"]
    invite = (await http.post(f"/sessions/{sid}/invites", headers=bearer(candidate))).json()
    await http.post(f"/invites/{invite['token']}/accept", headers=bearer(peer))
    staff = await open_room(app.url, sid, interviewer)
    assert (await staff.command("answer_mode", mode="human"))["type"] == "ack"
    room = await open_room(app.url, sid, candidate)
    asked_at = time.time()
    assert (await room.command("clarify", question="Do we accept cash or cards?"))["type"] == "ack"

    key = await http.get(f"/sessions/{sid}/answer-key", headers=bearer(interviewer))
    assert key.status_code == 200, key.text
    body = key.json()
    question = await Question.select(Question.id).where(Question.slug == "parking-lot").first()
    assert question is not None
    stored = await ClarificationRule.select(
        ClarificationRule.intent, ClarificationRule.response
    ).where(ClarificationRule.question_id == question["id"])
    assert {(r["intent"], r["answer"]) for r in body["rules"]} == {
        (r["intent"], r["response"]) for r in stored
    }
    [pending] = body["pending"]
    assert pending["question"] == "Do we accept cash or cards?"
    answers = {rule["intent"]: rule["answer"] for rule in body["rules"]}
    if pending["rule_intent"] is None:
        assert pending["suggested_answer"] == NEUTRAL_ANSWER
    else:
        assert pending["suggested_answer"] == answers[pending["rule_intent"]]
    assert asked_at + 80 < pending["fallback_at"] < asked_at + 100
    assert body["rubric"] and all(item["points"] for item in body["rubric"])
    assert body["reference_solution"] is None, "not before the submission"

    for who in (candidate, peer):
        refused = await http.get(f"/sessions/{sid}/answer-key", headers=bearer(who))
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    early = await http.get(f"/sessions/{sid}/model-answer", headers=bearer(candidate))
    assert (early.status_code, early.json()["error"]["code"]) == (409, "not_submitted")

    assert (await room.command("advance", to="design"))["type"] == "ack"
    assert (await room.command("draft", section="entities", text="Lot, Spot"))["type"] == "ack"
    assert (await room.command("submit"))["type"] == "ack"
    model = (await http.get(f"/sessions/{sid}/model-answer", headers=bearer(candidate))).json()
    assert model["sections"] and all(s["text"] and s["label"] for s in model["sections"])
    after = (await http.get(f"/sessions/{sid}/answer-key", headers=bearer(interviewer))).json()
    assert after["reference_solution"] == model["sections"]
