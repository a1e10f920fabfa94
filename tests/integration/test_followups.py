"""Follow-up questions on real Redis and Postgres: the system's question is written in the
process that fires it, asked exactly once however many processes fire, from the bank's probes
offline or by the model (the local OpenAI-compatible server), falling back on any failure."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import openai
import pytest
import redis.asyncio as aioredis

from domain.commands import Actor, Advance, Draft, FollowupAnswer, FollowupRequest, Role
from domain.errors import FollowupPending
from domain.state import RoomState
from evaluator.followups import BankProbes, FollowupWriter
from server.operations import db
from tests.integration.rooms_support import FakeClock, Process, make_session, make_user
from tests.support.fake_openai import FakeOpenAI, Reply
from tests.support.servers import SuiteServers

DURATIONS = {"clarifying": 60, "design": 120}
PARKING = BankProbes().by_slug["parking-lot"]


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
async def processes(servers: SuiteServers, database: str) -> AsyncIterator[list[Process]]:
    """Two app processes, each writing follow-ups offline, on one clock."""
    clock = FakeClock()
    clients = [aioredis.Redis.from_url(servers.redis_url) for _ in range(2)]
    made = [Process(client, clock) for client in clients]
    for process in made:
        process.service.followups = FollowupWriter(db.pool)
    yield made
    for client in clients:
        await client.aclose()


async def designing(p: Process, mode: str = "timed") -> tuple[str, Actor]:
    user = await make_user()
    session_id, question_id = await make_session(user)
    candidate = Actor(user_id=str(user), role=Role.CANDIDATE)
    await p.service.create(session_id, question_id, mode, DURATIONS, 3, candidate)
    await p.service.execute(session_id, Advance(to="design"), candidate)
    return session_id, candidate


async def asked_frames(p: Process, session_id: str) -> list[bytes]:
    return [s.frame for s in await p.store.read(session_id, 0) if b'"followup.asked"' in s.frame]


async def test_a_request_is_asked_once_from_the_bank_across_processes(
    processes: list[Process],
) -> None:
    a, b = processes
    session_id, candidate = await designing(a)
    await a.service.execute(session_id, FollowupRequest(), candidate)
    with pytest.raises(FollowupPending):
        await b.service.execute(session_id, FollowupRequest(), candidate)
    await asyncio.gather(a.timers.fire(session_id), b.timers.fire(session_id))
    assert len(await asked_frames(a, session_id)) == 1
    _, state = await b.service.state(session_id)
    (followup,) = state.followups
    # Nothing written yet: the first probe is about the first point the draft leaves out.
    assert (followup.question, followup.origin, followup.trigger) == (
        PARKING[0].question,
        "rubric",
        "request",
    )
    assert followup.section == PARKING[0].section and state.followup_requested_at is None


async def test_the_half_time_mark_asks_about_what_the_draft_leaves_out(
    processes: list[Process],
) -> None:
    a, b = processes
    session_id, candidate = await designing(a)
    concurrency = (
        "Each gate takes a lock on the allocator before it claims a spot, so two gates can never "
        "hand the last spot to two cars; the allocation is thread-safe across concurrent gates."
    )
    await a.service.execute(
        session_id, Draft(section="non_functional_req", text=concurrency), candidate
    )
    a.clock.advance(DURATIONS["design"] / 2 - 1)
    await asyncio.gather(a.timers.fire(session_id), b.timers.fire(session_id))
    assert await asked_frames(a, session_id) == []  # not yet
    a.clock.advance(1)
    await asyncio.gather(a.timers.fire(session_id), b.timers.fire(session_id))
    _, state = await a.service.state(session_id)
    (followup,) = state.followups
    assert followup.trigger == "time"
    assert followup.question == PARKING[1].question  # the first probe's point is stated
    await b.service.execute(
        session_id, FollowupAnswer(followup_id="f1", text="A min-heap per spot type."), candidate
    )
    a.clock.advance(5)
    await asyncio.gather(a.timers.fire(session_id), b.timers.fire(session_id))
    assert len(await asked_frames(a, session_id)) == 1  # the mark asks once


def model_writer(fake: FakeOpenAI, timeout_secs: float = 4.0) -> FollowupWriter:
    client = openai.AsyncOpenAI(api_key="test", base_url=fake.url, max_retries=0)
    return FollowupWriter(db.pool, client, "fake-model", timeout_secs=timeout_secs)


async def request_with(p: Process, writer: FollowupWriter, draft: str) -> RoomState:
    p.service.followups = writer
    session_id, candidate = await designing(p)
    await p.service.execute(session_id, Draft(section="entities", text=draft), candidate)
    await p.service.execute(session_id, FollowupRequest(), candidate)
    await p.timers.fire(session_id)
    return (await p.service.state(session_id))[1]


async def test_with_a_key_the_model_writes_the_question(
    processes: list[Process], fake: FakeOpenAI
) -> None:
    question = "Your Spot has no owner field: how does the exit gate know which ticket freed it?"
    marker = fake.script("followup-model", Reply(content=f'"{question}"\n'))
    writer = model_writer(fake)
    state = await request_with(processes[0], writer, f"Lot, Floor, Spot, Ticket {marker}")
    await writer.close()
    (followup,) = state.followups
    assert (followup.question, followup.origin, followup.section) == (question, "model", None)
    (call,) = fake.calls_for("followup-model")
    system, user = call.messages[0]["content"], call.messages[1]["content"]
    assert "Never reveal" in system and "confidential" in system
    assert "Lot, Floor, Spot, Ticket" in user  # the draft
    assert "Spot assignment is thread-safe across concurrent gates" in user  # the rubric
    assert not call.stream


@pytest.mark.parametrize(
    "reply",
    [Reply(kind="status", status=500), Reply(kind="hang"), Reply(content="  ")],
    ids=["server-error", "too-slow", "empty"],
)
async def test_the_bank_probe_is_asked_when_the_model_fails(
    processes: list[Process], fake: FakeOpenAI, reply: Reply
) -> None:
    marker = fake.script(f"followup-{reply.kind}-{reply.status}", reply)
    writer = model_writer(fake, timeout_secs=0.5)
    started = time.monotonic()
    state = await request_with(processes[0], writer, f"Lot, Floor {marker}")
    await writer.close()
    assert time.monotonic() - started < 5
    (followup,) = state.followups
    assert (followup.question, followup.origin) == (PARKING[0].question, "rubric")
