"""Bad input on the room socket: a coded error, the connection stays usable, the room intact."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from domain.phases import TRANSITIONS, Phase
from server.sessions.quotas import COMMAND_BURST
from tests.e2e.conftest import Account, RoomClient
from tests.e2e.test_room_e2e import bearer, start_session
from tests.support.servers import AppProcess

pytestmark = pytest.mark.e2e

OpenRoom = Callable[..., Awaitable[RoomClient]]
MakeAccount = Callable[..., Awaitable[Account]]


async def room_state(app: AppProcess, sid: str, token: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=app.url, timeout=10) as http:
        response = await http.get(f"/sessions/{sid}", headers=bearer(token))
        assert response.status_code == 200
        return response.json()


@pytest.fixture
async def room(
    app: AppProcess, account: MakeAccount, open_room: OpenRoom
) -> tuple[str, str, str, RoomClient, RoomClient]:
    _, candidate = await account()
    _, interviewer = await account("interviewer")
    sid = (await start_session(app.url, candidate, slug="rate-limiter"))["id"]
    cand = await open_room(app.url, sid, candidate)
    obs = await open_room(app.url, sid, interviewer)
    return sid, candidate, interviewer, cand, obs


BAD_FRAMES = [
    ("{not json", "invalid_frame"),
    ("[1, 2, 3]", "invalid_frame"),
    ('{"id": "x"}', "invalid_frame"),
    ('{"type": "teleport", "id": "x"}', "unknown_type"),
    ('{"type": "clarify", "id": "x"}', "invalid_command"),
    ('{"type": "clarify", "id": "x", "question": 42}', "invalid_command"),
    ('{"type": "clarify", "id": "x", "question": "   "}', "invalid_command"),
    ('{"type": "draft", "id": "x", "section": "passwords", "text": "x"}', "invalid_command"),
    ('{"type": "draft", "id": "x", "section": "language", "text": "cobol"}', "invalid_command"),
    ('{"type": "submit", "id": "x"}', "phase_illegal"),
    ('{"type": "note", "id": "x", "text": "candidates cannot write notes"}', "role_forbidden"),
    ('{"type": "timer_expire", "id": "x", "phase": "clarifying"}', "unknown_type"),
    ('{"type": "ping", "id": {"nested": true}}', "invalid_frame"),
]


@pytest.mark.parametrize(("frame", "code"), BAD_FRAMES)
async def test_bad_frames_get_a_coded_error_and_change_nothing(
    app: AppProcess,
    room: tuple[str, str, str, RoomClient, RoomClient],
    frame: str,
    code: str,
) -> None:
    sid, candidate, _, cand, _ = room
    before = await room_state(app, sid, candidate)
    reply_id = None if code == "invalid_frame" else json.loads(frame)["id"]
    reply = await cand.send_raw(frame, reply_id=reply_id)
    assert reply["type"] == "error" and reply["code"] == code, reply
    after = await room_state(app, sid, candidate)
    assert after["seq"] == before["seq"] and after["phase"] == before["phase"]
    assert (await cand.command("ping"))["type"] == "pong", "the connection stays usable"


async def test_an_oversized_frame_is_refused_and_the_socket_lives(
    room: tuple[str, str, str, RoomClient, RoomClient],
) -> None:
    _, _, _, cand, _ = room
    huge = json.dumps({"type": "draft", "section": "code", "text": "x" * 70_000})
    reply = await cand.send_raw(huge, reply_id=None)
    assert reply["code"] == "frame_too_large"
    assert (await cand.command("draft", section="code", text="small"))["type"] == "ack"


async def test_an_observer_cannot_act_as_the_candidate(
    room: tuple[str, str, str, RoomClient, RoomClient],
) -> None:
    _, _, _, _, obs = room
    for type_, fields in [
        ("clarify", {"question": "May I?"}),
        ("advance", {"to": "design"}),
        ("draft", {"section": "apis", "text": "x"}),
    ]:
        reply = await obs.command(type_, **fields)
        assert reply["code"] == "role_forbidden"


async def test_a_flooding_client_is_rate_limited_then_closed(
    room: tuple[str, str, str, RoomClient, RoomClient],
) -> None:
    _, _, _, cand, _ = room
    for i in range(600):
        await cand.ws.send(json.dumps({"type": "ping", "id": i}))
    code, _ = await asyncio.wait_for(cand.closed, 15)
    assert code == 4429
    limited = [f for f in cand.frames if f.get("code") == "rate_limited"]
    assert limited, "rate-limited before being closed"


FUZZ_ROUNDS = 6
FUZZ_FRAMES_PER_ROUND = 25
# A socket's rounds fit in one burst of the rate limit.
ROUNDS_PER_SOCKET = int(COMMAND_BURST) // FUZZ_FRAMES_PER_ROUND


def random_frame(rng: random.Random) -> str:
    """Valid, half-valid and garbage frames in about equal measure."""
    texts = ["", " ", "How many users?", "x" * rng.randint(1, 3000), "\u0000\ud7ff✓", "null"]
    choice = rng.random()
    if choice < 0.15:
        return rng.choice(["", "{", "}", "[]", "null", "42", '"s"', "{" * 50, "\x00"])
    fields: dict[str, Any] = {
        "type": rng.choice(
            [
                "clarify",
                "advance",
                "draft",
                "submit",
                "abandon",
                "answer",
                "hint",
                "note",
                "answer_mode",
                "ping",
                "join",
                "evaluation_complete",
                "nope",
                7,
            ]
        ),
        "id": rng.choice([rng.randint(0, 10**6), f"f{rng.random()}", None, [], "y" * 80]),
    }
    for name in rng.sample(
        ["question", "to", "section", "text", "mode", "clarification_id", "extra"],
        k=rng.randint(0, 3),
    ):
        fields[name] = rng.choice(
            [
                *texts,
                rng.choice(
                    ["design", "submitted", "apis", "code", "language", "human", "rules", "c1"]
                ),
                rng.randint(-5, 5),
                None,
                {"a": 1},
            ]
        )
    return json.dumps(fields)


async def test_fuzzed_frames_never_break_the_room(
    app: AppProcess,
    room: tuple[str, str, str, RoomClient, RoomClient],
    open_room: OpenRoom,
) -> None:
    sid, candidate, interviewer, cand, obs = room
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    # Each socket sends at most one burst, so every frame reaches the room without waiting
    # for the rate limit to refill; more frames take more sockets, not more time.
    senders = [[cand], [obs]]
    for clients, token in zip(senders, (candidate, interviewer), strict=True):
        for _ in range(FUZZ_ROUNDS // ROUNDS_PER_SOCKET - 1):
            clients.append(await open_room(app.url, sid, token))
    for round_ in range(FUZZ_ROUNDS):
        for clients in senders:
            for _ in range(FUZZ_FRAMES_PER_ROUND):
                await clients[round_ // ROUNDS_PER_SOCKET].ws.send(random_frame(rng))
    sent = ROUNDS_PER_SOCKET * FUZZ_FRAMES_PER_ROUND
    for client in (client for clients in senders for client in clients):
        await client.wait_for(
            lambda fs: sum(f["type"] in ("ack", "error", "pong") for f in fs) >= sent
        )
        assert not client.closed.done(), f"seed {seed}: socket closed"
        limited = [f for f in client.frames if f.get("code") == "rate_limited"]
        assert not limited, f"seed {seed}: every frame reaches the room"
    state = await room_state(app, sid, interviewer)
    assert state["phase"] in {p.value for p in Phase}, f"seed {seed}"
    assert len(state["clarifications"]) <= state["max_clarifications"]
    async with httpx.AsyncClient(base_url=app.url, timeout=10) as http:
        log = (
            await http.get(
                f"/sessions/{sid}/events", headers=bearer(interviewer), params={"limit": 1000}
            )
        ).json()["events"]
    assert [e["seq"] for e in log] == list(range(1, len(log) + 1)), f"seed {seed}"
    phases = [Phase.CLARIFYING]
    for event in log:
        if event["type"] == "phase.changed":
            assert Phase(event["to_phase"]) in TRANSITIONS[phases[-1]], f"seed {seed}"
            phases.append(Phase(event["to_phase"]))
    assert phases[-1].value == state["phase"]
    assert state["seq"] == log[-1]["seq"]
