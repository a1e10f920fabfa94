"""Every submission enqueues one evaluation: the candidate's submit and the timer's auto-submit
both go through the room service, whose hook kicks the job."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from domain.commands import Actor, Advance, Clarify, Role, Submit
from domain.phases import Phase
from evaluator.pipeline import EvaluationQueue, kicked_key
from tests.integration.evaluation_support import RecordingEnqueue
from tests.integration.rooms_support import FakeClock, Process, make_session, make_user
from tests.support.servers import SuiteServers

DURATIONS = {"clarifying": 60, "design": 120}


@pytest.fixture
async def process(servers: SuiteServers, database: str) -> AsyncIterator[Process]:
    client = aioredis.Redis.from_url(servers.redis_url)
    yield Process(client, FakeClock())
    await client.aclose()


async def room(p: Process) -> tuple[str, Actor]:
    user = await make_user()
    session_id, question_id = await make_session(user)
    candidate = Actor(user_id=str(user), role=Role.CANDIDATE)
    await p.service.create(session_id, question_id, "timed", DURATIONS, 3, candidate)
    await p.service.execute(session_id, Advance(to="design"), candidate)
    return session_id, candidate


async def test_submit_and_timer_auto_submit_each_enqueue_one_job(process: Process) -> None:
    enqueue = RecordingEnqueue()
    queue = EvaluationQueue(enqueue, process.redis, requeue_secs=60)
    process.service.on_append(queue.on_room_append)
    by_candidate, candidate = await room(process)
    by_timer, _ = await room(process)

    await process.service.execute(by_candidate, Submit(), candidate)
    process.clock.advance(DURATIONS["design"] + 1)
    await process.timers.fire(by_timer)
    _, state = await process.service.state(by_timer)
    assert state.phase == Phase.SUBMITTED
    assert enqueue.sessions == [by_candidate, by_timer]
    assert await queue.kicked_recently(by_timer)
    assert 0 < await process.redis.ttl(kicked_key(by_timer)) <= 60


async def test_a_broker_outage_does_not_fail_the_submission(process: Process) -> None:
    async def broken(session_id: str) -> None:
        raise ConnectionError("broker down")

    queue = EvaluationQueue(broken, process.redis, requeue_secs=60)
    process.service.on_append(queue.on_room_append)
    session_id, candidate = await room(process)
    outcome = await process.service.execute(session_id, Submit(), candidate)
    assert outcome.state.phase == Phase.SUBMITTED  # the watchdog enqueues it later


async def test_other_commands_enqueue_nothing(process: Process) -> None:
    enqueue = RecordingEnqueue()
    process.service.on_append(EvaluationQueue(enqueue, process.redis, 60).on_room_append)
    user = await make_user()
    session_id, question_id = await make_session(user)
    candidate = Actor(user_id=str(user), role=Role.CANDIDATE)
    await process.service.create(session_id, question_id, "untimed", {}, 3, candidate)
    await process.service.execute(session_id, Clarify(question="How big?"), candidate)
    assert enqueue.sessions == []
