"""Evaluation jobs on real Redis and Postgres: stored once, streamed once, taken over without
losing or repeating the text shown, failures, watchdog."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
import redis.asyncio as aioredis

from domain.commands import Actor, Advance, Draft, EvaluationDelta, EvaluationStart, Role
from domain.phases import Phase
from domain.room_tables import UserStats
from domain.tables import Evaluation, Question, Solution
from evaluator.base import Evaluated, Evaluator, TextSink
from evaluator.jobs import EvaluationRunner, JobConfig
from evaluator.leases import Lease, evaluation_key, is_held
from evaluator.pipeline import EvaluationQueue, status_of
from evaluator.prompts import EvaluationInput
from evaluator.rubric_evaluator import RubricEvaluator
from evaluator.stats import ProgressStore
from evaluator.store import EvaluationStore
from evaluator.watchdog import STUCK_REASON, Watchdog
from rooms.engine import RoomEngine
from rooms.service import SYSTEM
from server.operations import db
from server.operations.seed import load_bank
from tests.integration.evaluation_support import (
    VERDICT,
    RecordingEnqueue,
    ScriptedEvaluator,
    event_types,
    events,
    submitted_room,
)
from tests.integration.rooms_support import FakeClock, make_session, make_user
from tests.support.servers import SuiteServers

store = EvaluationStore(db.pool)
LRU = next(q for q, _ in load_bank() if q.slug == "lru-cache")
LEASE_SECS = 1.0
MAX_JOB_SECS = 10.0
STUCK_SECS = 30.0
# The default EVALUATION_REQUEUE_SECS: a job kicked this recently is not kicked again.
REQUEUE_SECS = 60.0


@pytest.fixture
async def engines(servers: SuiteServers, database: str) -> AsyncIterator[list[RoomEngine]]:
    """Two 'worker processes': separate Redis clients and room engines."""
    clients = [aioredis.Redis.from_url(servers.redis_url) for _ in range(2)]
    yield [RoomEngine(client, db.pool) for client in clients]
    for client in clients:
        await client.aclose()


def runner(
    engine: RoomEngine, evaluator: Evaluator, redis: aioredis.Redis | None = None
) -> EvaluationRunner:
    return EvaluationRunner(
        engine.rooms,
        redis or engine.store.redis,
        evaluator,
        JobConfig(LEASE_SECS, MAX_JOB_SECS),
        (store, ProgressStore(db.pool)),
    )


async def rows_for(session_id: str) -> int:
    solution = await store.solution_of(session_id)
    assert solution is not None
    return await Evaluation.count().where(Evaluation.solution_id == solution.id)


async def test_a_job_streams_feedback_stores_once_and_completes_the_room(
    engines: list[RoomEngine],
) -> None:
    engine = engines[0]
    sid, user = await submitted_room(engine, dict(LRU.reference_solution))
    before = len(await event_types(engine, sid))
    await runner(engine, RubricEvaluator()).run(sid)

    new = await events(engine, sid, before)
    types = [e["type"] for e in new]
    assert types[:2] == ["phase.changed", "evaluation.started"]
    assert types[-2:] == ["evaluation.completed", "phase.changed"]
    deltas = [e["event"].text for e in new if e["type"] == "evaluation.delta"]
    assert len(deltas) >= 5, "the rubric feedback streams in chunks"
    stored = await store.stored_evaluation(sid)
    assert stored is not None and stored.evaluator == "rubric" and stored.score >= 70
    assert stored.feedback == "".join(deltas).strip()
    assert new[-2]["event"].result == stored, "the room shows the stored row"
    _, state = await engine.rooms.state(sid)
    assert state.phase == Phase.EVALUATED and state.evaluation == stored

    stats = await UserStats.select().where(UserStats.user_id == user).first()
    assert stats is not None
    assert (stats["sessions_completed"], stats["problems_solved"]) == (1, 1)
    assert stats["best_score"] == stored.score and stats["rank"] is not None
    assert set(msgspec.json.decode(stats["time_by_phase"])) == {"clarifying", "design"}
    question = (
        await Question.select(Question.acceptance_rate).where(Question.slug == "lru-cache").first()
    )
    assert question is not None and question["acceptance_rate"] > 0


async def test_running_a_job_again_streams_nothing_and_stores_nothing(
    engines: list[RoomEngine],
) -> None:
    engine = engines[0]
    sid, _ = await submitted_room(engine, dict(LRU.weak_solution))
    await runner(engine, RubricEvaluator()).run(sid)
    seen = len(await event_types(engine, sid))
    again = ScriptedEvaluator(["must not stream"])
    await runner(engines[1], again).run(sid)
    assert len(await event_types(engine, sid)) == seen and again.runs == 0
    assert await rows_for(sid) == 1


async def test_a_stored_result_completes_a_room_a_crash_left_evaluating(
    engines: list[RoomEngine],
) -> None:
    engine = engines[0]
    sid, _ = await submitted_room(engine, {"apis": "GET /items"})
    await engine.rooms.execute(sid, EvaluationStart("scripted"), SYSTEM)
    await engine.rooms.execute(sid, EvaluationDelta("half a str"), SYSTEM)
    solution = await store.solution_of(sid)
    assert solution is not None
    stored = await store.store_evaluation(solution, sid, VERDICT, "half a story", "scripted", {})
    seen = len(await event_types(engine, sid))  # the worker died here; the job is redelivered

    redelivered = ScriptedEvaluator(["must not stream"])
    await runner(engines[1], redelivered).run(sid)
    assert await event_types(engine, sid, seen) == ["evaluation.completed", "phase.changed"]
    assert redelivered.runs == 0 and await rows_for(sid) == 1
    _, state = await engine.rooms.state(sid)
    assert state.evaluation == stored


async def test_two_workers_racing_on_one_job_make_one_row_and_one_stream(
    engines: list[RoomEngine],
) -> None:
    sid, _ = await submitted_room(engines[0], {"apis": "GET /items"})
    first = ScriptedEvaluator(["one ", "two ", "three"], pause_secs=0.2)
    second = ScriptedEvaluator(["other"], pause_secs=0.2)
    await asyncio.gather(runner(engines[0], first).run(sid), runner(engines[1], second).run(sid))
    assert first.runs + second.runs == 1
    types = await event_types(engines[0], sid)
    assert types.count("evaluation.started") == 1 and types.count("evaluation.completed") == 1
    assert await rows_for(sid) == 1


async def died_mid_stream(engine: RoomEngine, sid: str, evaluator: str, shown: str) -> int:
    """A worker took the job, streamed `shown` and died: nobody renews its lease, which is
    shortened to stand for most of its TTL passing. Returns the room's seq at its death."""
    dead = Lease(engine.store.redis, evaluation_key(sid), LEASE_SECS)
    assert await dead.acquire()
    await engine.rooms.execute(sid, EvaluationStart(evaluator), SYSTEM)
    await engine.rooms.execute(sid, EvaluationDelta(shown), SYSTEM)
    await engine.store.redis.pexpire(dead.key, 50)
    return (await events(engine, sid))[-1]["seq"]


async def test_a_job_taking_over_a_dead_workers_stream_keeps_the_text_shown(
    engines: list[RoomEngine],
) -> None:
    sid, _ = await submitted_room(engines[0], {"apis": "GET /items"})
    died_at = await died_mid_stream(engines[0], sid, "scripted", "all of ")
    standby = ScriptedEvaluator(["all ", "of it", ", and more"])
    await runner(engines[1], standby).run(sid)

    assert standby.runs == 1 and standby.shown == ["all of "] and await rows_for(sid) == 1
    after = await events(engines[0], sid, died_at)
    assert [e["type"] for e in after] == [
        "evaluation.delta",
        "evaluation.delta",
        "evaluation.completed",
        "phase.changed",
    ], "no evaluation.started: the shown text stays"
    assert [e["event"].text for e in after[:2]] == ["it", ", and more"]
    _, state = await engines[1].rooms.state(sid)
    assert state.phase == Phase.EVALUATED and state.evaluation_text == "all of it, and more"
    stored = await store.stored_evaluation(sid)
    assert stored is not None and stored.feedback == "all of it, and more"


async def test_a_takeover_by_another_evaluator_starts_the_stream_over(
    engines: list[RoomEngine],
) -> None:
    sid, _ = await submitted_room(engines[0], {"apis": "GET /items"})
    died_at = await died_mid_stream(engines[0], sid, "openai:old-model", "The old model's ")
    standby = ScriptedEvaluator(["A fresh ", "stream"])
    await runner(engines[1], standby).run(sid)
    assert standby.shown == [""]
    assert (await event_types(engines[0], sid, died_at))[0] == "evaluation.started"
    _, state = await engines[1].rooms.state(sid)
    assert state.evaluation_text == "A fresh stream" and state.evaluator == "scripted"


async def test_the_rubric_evaluator_taking_over_streams_only_what_was_not_shown(
    engines: list[RoomEngine],
) -> None:
    sid, _ = await submitted_room(engines[0], dict(LRU.weak_solution))
    solution = await store.solution_of(sid)
    assert solution is not None
    _, state = await engines[0].rooms.state(sid)
    whole = RecordingSink()
    await RubricEvaluator().evaluate(await store.evaluation_input(solution, state), whole)
    assert len(whole.texts) >= 3
    shown = "".join(whole.texts[:2]) + whole.texts[2][:7]  # died mid-delta
    died_at = await died_mid_stream(engines[0], sid, "rubric", shown)

    await runner(engines[1], RubricEvaluator()).run(sid)
    after = await events(engines[0], sid, died_at)
    assert "evaluation.started" not in [e["type"] for e in after]
    _, state = await engines[1].rooms.state(sid)
    assert state.evaluation_text == "".join(whole.texts), "continued, nothing twice"


class RecordingSink:
    def __init__(self) -> None:
        self.texts: list[str] = []

    async def text(self, chunk: str) -> None:
        self.texts.append(chunk)

    async def flush(self) -> None:
        return None

    async def restart(self) -> None:
        self.texts.clear()


async def test_a_worker_that_lost_its_lease_writes_nothing_more(
    engines: list[RoomEngine],
) -> None:
    sid, _ = await submitted_room(engines[0], {"apis": "GET /items"})
    stalled = HeldEvaluator(["must not ", "reach the room"])
    async with asyncio.timeout(10):
        job = asyncio.create_task(runner(engines[0], stalled).run(sid))
        await stalled.started.wait()  # it holds the lease; now it stalls past the lease's TTL
        key = evaluation_key(sid)
        await engines[1].store.redis.delete(key)
        assert await Lease(engines[1].store.redis, key, 60).acquire()  # a successor took it
        before = await event_types(engines[0], sid)
        stalled.let_go.set()
        await job
    assert await event_types(engines[0], sid) == before, "not one delta over the successor's"
    _, state = await engines[0].rooms.state(sid)
    assert state.phase == Phase.EVALUATING and await rows_for(sid) == 0


class HeldEvaluator(ScriptedEvaluator):
    """Says when it has started (its job holds the lease), then waits to be let go."""

    def __init__(self, chunks: list[str], fail_with: str | None = None) -> None:
        super().__init__(chunks, fail_with=fail_with)
        self.started, self.let_go = asyncio.Event(), asyncio.Event()

    async def evaluate(
        self, evaluation: EvaluationInput, sink: TextSink, shown: str = ""
    ) -> Evaluated:
        self.started.set()
        await self.let_go.wait()
        return await super().evaluate(evaluation, sink, shown)


class LeaseWatch(aioredis.Redis):
    """A Redis client that tells when a `SET NX` of its found the key taken: a lease refused."""

    def __init__(self, redis: aioredis.Redis) -> None:
        super().__init__(connection_pool=redis.connection_pool)
        self.refused = asyncio.Event()

    async def set(self, *args: Any, **kwargs: Any) -> Any:
        taken = await super().set(*args, **kwargs)
        if kwargs.get("nx") and not taken:
            self.refused.set()
        return taken


async def test_a_copy_standing_by_does_not_retry_a_failure_on_its_own(
    engines: list[RoomEngine],
) -> None:
    sid, _ = await submitted_room(engines[0], {"apis": "GET /items"})
    failing = HeldEvaluator(["a ", "b"], fail_with="model down")
    copy, watch = ScriptedEvaluator(["must not run"]), LeaseWatch(engines[1].store.redis)
    async with asyncio.timeout(10), asyncio.TaskGroup() as jobs:
        jobs.create_task(runner(engines[0], failing).run(sid))
        await failing.started.wait()  # the holder has the lease and is evaluating
        jobs.create_task(runner(engines[1], copy, watch).run(sid))
        await watch.refused.wait()  # the copy found the lease taken: it stands by
        failing.let_go.set()
    assert (failing.runs, copy.runs) == (1, 0)
    _, state = await engines[0].rooms.state(sid)
    assert state.phase == Phase.SUBMITTED and state.failure == "model down"


async def test_a_failure_shows_its_reason_and_a_later_run_succeeds(
    engines: list[RoomEngine],
) -> None:
    engine = engines[0]
    sid, _ = await submitted_room(engine, {"apis": "GET /items"})
    await runner(engine, ScriptedEvaluator(["partial"], fail_with="model down")).run(sid)
    _, state = await engine.rooms.state(sid)
    assert state.phase == Phase.SUBMITTED and state.failure == "model down"
    assert status_of(state, running=False, queued=False) == "failed"
    assert status_of(state, running=False, queued=True) == "queued"
    assert await store.stored_evaluation(sid) is None

    await runner(engine, ScriptedEvaluator(["fine"])).run(sid)
    _, state = await engine.rooms.state(sid)
    assert state.phase == Phase.EVALUATED and state.failure is None
    assert state.evaluation_text == "fine", "the retry's stream replaced the failed one"


async def drafted_room(engine: RoomEngine) -> str:
    """A room in design with a section written: nothing submitted yet."""
    user = await make_user()
    session_id, question_id = await make_session(user, "lru-cache")
    candidate = Actor(user_id=str(user), role=Role.CANDIDATE)
    await engine.rooms.create(session_id, question_id, "untimed", {}, 5, candidate)
    await engine.rooms.execute(session_id, Advance(to="design"), candidate)
    await engine.rooms.execute(session_id, Draft(section="apis", text="GET /items"), candidate)
    return session_id


async def test_a_job_without_a_submitted_solution_does_nothing(engines: list[RoomEngine]) -> None:
    engine, evaluator = engines[0], ScriptedEvaluator(["must not stream"])
    drafted = await drafted_room(engine)
    seen = await event_types(engine, drafted)
    unknown = str(uuid.uuid4())
    for sid in (drafted, unknown):  # a retry on a room in design; a job for a deleted room
        await runner(engine, evaluator).run(sid)
        assert not await is_held(engine.store.redis, evaluation_key(sid))
    assert evaluator.runs == 0
    assert await event_types(engine, drafted) == seen
    _, state = await engine.rooms.state(drafted)
    assert state.phase == Phase.DESIGN and await store.stored_evaluation(drafted) is None


def watchdog(
    engine: RoomEngine,
    enqueue: RecordingEnqueue,
    clock: FakeClock,
    requeue_secs: float = REQUEUE_SECS,
) -> Watchdog:
    queue = EvaluationQueue(enqueue, engine.store.redis, requeue_secs)
    return Watchdog(
        engine.rooms,
        engine.store.redis,
        queue,
        runner(engine, ScriptedEvaluator([])),
        1.0,
        STUCK_SECS,
        clock,
    )


async def submitted_a_day_ago(*session_ids: str) -> None:
    """Well past `requeue_secs` (the sweep asks the database's clock), and first in its order."""
    await Solution.update({Solution.submitted_at: datetime.now(UTC) - timedelta(days=1)}).where(
        Solution.session_id.is_in([uuid.UUID(sid) for sid in session_ids])
    )


async def test_watchdog_requeues_a_submission_whose_job_was_lost(
    engines: list[RoomEngine],
) -> None:
    engine, enqueue = engines[0], RecordingEnqueue()
    lost, _ = await submitted_room(engine, {"apis": "GET /a"})
    failed, _ = await submitted_room(engine, {"apis": "GET /b"})
    await runner(engine, ScriptedEvaluator([], fail_with="down")).run(failed)
    held, _ = await submitted_room(engine, {"apis": "GET /c"})
    assert await Lease(engine.store.redis, evaluation_key(held), 5).acquire()
    await submitted_a_day_ago(lost, failed, held)

    dog = watchdog(engine, enqueue, FakeClock())
    requeued = await dog.requeue_lost()
    assert lost in requeued and failed not in requeued and held not in requeued
    assert lost not in await dog.requeue_lost(), "a kicked job is not kicked again at once"
    assert enqueue.sessions.count(lost) == 1


async def test_watchdog_settles_an_evaluation_no_worker_holds(engines: list[RoomEngine]) -> None:
    engine, clock = engines[0], FakeClock()
    orphan, _ = await submitted_room(engine, {"apis": "GET /a"})
    alive, _ = await submitted_room(engine, {"apis": "GET /b"})
    finished, _ = await submitted_room(engine, {"apis": "GET /c"})
    for sid in (orphan, alive, finished):
        await engine.rooms.execute(sid, EvaluationStart("scripted"), SYSTEM)
    lease = Lease(engine.store.redis, evaluation_key(alive), 60)
    assert await lease.acquire()
    solution = await store.solution_of(finished)
    assert solution is not None
    await store.store_evaluation(solution, finished, VERDICT, "done", "scripted", {})

    dog = watchdog(engine, RecordingEnqueue(), clock)
    assert not {orphan, finished} & set(await dog.settle_stuck()), "first seen orphaned now"
    clock.advance(STUCK_SECS + 1)
    settled = await dog.settle_stuck()
    assert {orphan, finished} <= set(settled) and alive not in settled
    _, state = await engine.rooms.state(orphan)
    assert state.phase == Phase.SUBMITTED and state.failure == STUCK_REASON
    _, state = await engine.rooms.state(finished)
    assert state.phase == Phase.EVALUATED
    _, state = await engine.rooms.state(alive)
    assert state.phase == Phase.EVALUATING
    await lease.release()
