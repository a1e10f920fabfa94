"""Admins see what candidates asked that no rule answered, to write new rules from it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from domain.clarify import NEUTRAL_ANSWER
from tests.e2e.conftest import Account
from tests.e2e.test_room_e2e import bearer
from tests.support.servers import AppProcess

pytestmark = pytest.mark.e2e

MakeAccount = Callable[..., Awaitable[Account]]
OFF_TOPIC = "Which IDE would you like me to write this in?"


@pytest.fixture
async def client(app: AppProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=app.url, timeout=10) as http:
        yield http


async def ask(client: httpx.AsyncClient, token: str, questions: list[str]) -> list[str]:
    started = await client.post("/questions/parking-lot/sessions", json={}, headers=bearer(token))
    sid = started.json()["id"]
    answers = []
    for text in questions:
        reply = await client.post(
            f"/sessions/{sid}/clarifications", json={"question": text}, headers=bearer(token)
        )
        answers.append(reply.json()["answer"])
    await client.get(f"/sessions/{sid}/events", headers=bearer(token))  # archives the room
    return answers


async def test_neutral_answers_are_listed_per_question_most_asked_first(
    client: httpx.AsyncClient, account: MakeAccount
) -> None:
    on_topic = "How do drivers pay when they leave?"
    for _ in range(2):
        _, token = await account()
        answers = await ask(client, token, [OFF_TOPIC, on_topic])
        assert answers[0] == NEUTRAL_ANSWER and answers[1] != NEUTRAL_ANSWER
    _, admin = await account(role="admin")
    listed = await client.get(
        "/questions/parking-lot/unanswered-clarifications", headers=bearer(admin)
    )
    assert listed.status_code == 200
    items = listed.json()["items"]
    mine = [item for item in items if item["text"] == OFF_TOPIC]
    assert len(mine) == 1 and mine[0]["times_asked"] >= 2
    assert on_topic not in {item["text"] for item in items}


async def test_only_admins_may_list_them(client: httpx.AsyncClient, account: MakeAccount) -> None:
    _, interviewer = await account(role="interviewer")
    refused = await client.get(
        "/questions/parking-lot/unanswered-clarifications", headers=bearer(interviewer)
    )
    assert refused.status_code == 403
    _, admin = await account(role="admin")
    missing = await client.get(
        "/questions/no-such-question/unanswered-clarifications", headers=bearer(admin)
    )
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "question_not_found")


async def test_the_room_answers_a_paraphrase_from_the_rule_it_means(
    client: httpx.AsyncClient, account: MakeAccount
) -> None:
    _, token = await account()
    started = await client.post("/questions/chat-system/sessions", json={}, headers=bearer(token))
    sid = started.json()["id"]
    reply = await client.post(
        f"/sessions/{sid}/clarifications",
        json={"question": "What happens to messages sent to someone whose phone is switched off?"},
        headers=bearer(token),
    )
    body = reply.json()
    assert (body["rule_intent"], body["answered_by"]) == ("offline users", "rules")
    assert body["answer"].startswith("Offline devices get a push notification")
    assert 0.5 <= body["confidence"] <= 1.0
