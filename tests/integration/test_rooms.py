"""The room engine on real Redis and Postgres: atomic appends, idempotency, timers, fan-out,
archiving and rebuilding a room Redis lost."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import msgspec
import pytest
import redis.asyncio as aioredis

from domain.commands import Actor, Advance, Clarify, Draft, Note, Role, Submit
from domain.errors import ClarificationBudgetExhausted, DomainError, IllegalInPhase
from domain.room_tables import SessionEvent, SessionSnapshot
from domain.tables import ClarificationLog, InterviewSession, Solution
from rooms import keys
from rooms.hub import Subscriber
from rooms.service import SYSTEM
from tests.integration.rooms_support import FakeClock, Process, make_session, make_user
from tests.support.servers import SuiteServers

DURATIONS = {"clarifying": 60, "design": 120}


@pytest.fixture
async def redis_clients(
    servers: SuiteServers, database: str
) -> AsyncIterator[list[aioredis.Redis]]:
    clients = [aioredis.Redis.from_url(servers.redis_url) for _ in range(2)]
    yield clients
    for client in clients:
        await client.aclose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def processes(redis_clients: list[aioredis.Redis], clock: FakeClock) -> list[Process]:
    """Two 'app processes': separate clients, stores, services; one shared clock."""
    return [Process(client, clock) for client in redis_clients]


async def new_room(
    p: Process, max_clarifications: int = 3, mode: str = "timed"
) -> tuple[str, Actor]:
    user = await make_user()
    session_id, question_id = await make_session(user)
    candidate = Actor(user_id=str(user), role=Role.CANDIDATE)
    await p.service.create(session_id, question_id, mode, DURATIONS, max_clarifications, candidate)
    return session_id, candidate


async def test_concurrent_clarifications_from_two_processes_respect_the_budget(
    processes: list[Process],
) -> None:
    a = processes[0]
    session_id, candidate = await new_room(a, max_clarifications=3)

    async def ask(p: Process, i: int) -> bool:
        try:
            await p.service.execute(
                session_id, Clarify(question=f"How many floors? ({i})"), candidate
            )
        except ClarificationBudgetExhausted:
            return False
        return True

    results = await asyncio.gather(*(ask(processes[i % 2], i) for i in range(10)))
    assert sum(results) == 3
    for p in processes:
        _, state = await p.service.state(session_id)
        assert len(state.clarifications) == 3
        assert all(c.answer for c in state.clarifications)
    log = await a.store.read(session_id, 0)
    assert [s.seq for s in log] == list(range(1, len(log) + 1))
    asked = [s for s in log if b'"clarification.asked"' in s.frame]
    assert len(asked) == 3


async def test_a_refused_command_changes_nothing(processes: list[Process]) -> None:
    a, _ = processes
    session_id, candidate = await new_room(a)
    seq_before, state_before = await a.service.state(session_id)
    with pytest.raises(IllegalInPhase):
        await a.service.execute(session_id, Submit(), candidate)
    observer = Actor(user_id="someone", role=Role.OBSERVER)
    with pytest.raises(DomainError) as refused:
        await a.service.execute(session_id, Draft(section="apis", text="x"), observer)
    assert refused.value.code == "role_forbidden"
    assert await a.service.state(session_id) == (seq_before, state_before)
    assert await a.store.current_seq(session_id) == seq_before


async def test_resending_a_command_id_is_harmless(processes: list[Process]) -> None:
    a, b = processes
    session_id, candidate = await new_room(a)
    first = await a.service.execute(
        session_id, Clarify(question="Do we support EVs?"), candidate, "q-1"
    )
    again = await b.service.execute(
        session_id, Clarify(question="Do we support EVs?"), candidate, "q-1"
    )
    assert not first.duplicate and again.duplicate
    assert (again.first_seq, again.last_seq) == (first.first_seq, first.last_seq)
    _, state = await b.service.state(session_id)
    assert len(state.clarifications) == 1


async def test_a_timer_fires_exactly_once_across_processes(
    processes: list[Process], clock: FakeClock
) -> None:
    a, b = processes
    session_id, _ = await new_room(a)
    due = await a.redis.zscore(keys.TIMERS, session_id)
    assert due is not None and due <= clock.now + DURATIONS["clarifying"]
    clock.advance(DURATIONS["clarifying"] - 5)  # inside the warning window
    await asyncio.gather(
        a.timers.fire(session_id), b.timers.fire(session_id), a.timers.fire(session_id)
    )
    clock.advance(10)  # past the deadline
    await asyncio.gather(a.timers.fire(session_id), b.timers.fire(session_id))
    log = [s.frame for s in await a.store.read(session_id, 0)]
    assert sum(b'"timer.warning"' in f for f in log) == 1
    assert sum(b'"phase.changed"' in f for f in log) == 1
    _, state = await b.service.state(session_id)
    assert state.phase == "design" and state.deadline == pytest.approx(
        clock.now + DURATIONS["design"]
    )


async def test_design_expiry_auto_submits_the_draft(
    processes: list[Process], clock: FakeClock
) -> None:
    a, b = processes
    session_id, candidate = await new_room(a)
    await a.service.execute(session_id, Advance(to="design"), candidate)
    await a.service.execute(
        session_id, Draft(section="entities", text="Spot, Ticket, Floor"), candidate
    )
    clock.advance(DURATIONS["design"] + 1)
    await b.timers.fire(session_id)
    _, state = await a.service.state(session_id)
    assert state.phase == "submitted" and state.draft["entities"] == "Spot, Ticket, Floor"
    await a.archiver.flush([session_id])
    solution = await Solution.select().where(Solution.session_id == session_id).first()
    assert solution is not None and solution["entities"] == "Spot, Ticket, Floor"
    assert solution["submit_reason"] == "timer"


async def collect(
    p: Process, session_id: str, observer: bool, after: int
) -> tuple[Subscriber, list[dict]]:
    got: list[dict] = []

    async def send(text: str) -> None:
        got.append(msgspec.json.decode(text))

    async def resync() -> int:
        seq, _ = await p.service.state(session_id)
        got.append({"type": "snapshot", "seq": seq})
        return seq

    sub = Subscriber(session_id, observer, after, p.store, send, resync)
    await p.hub.subscribe(sub)
    return sub, got


async def wait_for(condition: Callable[[], object], within_secs: float = 5.0) -> None:
    """Polls a condition on frames another task is collecting."""
    async with asyncio.timeout(within_secs):
        while not condition():  # noqa: ASYNC110 - the frames arrive through a callback
            await asyncio.sleep(0.01)


async def test_fan_out_across_processes_in_order_without_private_notes_for_the_candidate(
    processes: list[Process],
) -> None:
    a, b = processes
    await a.hub.start()
    await b.hub.start()
    try:
        session_id, candidate = await new_room(a)
        observer = Actor(user_id="interviewer-1", role=Role.OBSERVER)
        _, cand_frames = await collect(a, session_id, observer=False, after=1)
        _, obs_frames = await collect(b, session_id, observer=True, after=0)
        await b.service.execute(session_id, Note(text="strong start"), observer)
        for i in range(20):
            await a.service.execute(session_id, Draft(section="apis", text=f"v{i}"), candidate)
        last = await a.store.current_seq(session_id)
        await wait_for(lambda: obs_frames and obs_frames[-1]["seq"] == last)
        await wait_for(lambda: cand_frames and cand_frames[-1]["seq"] == last)
        assert [f["seq"] for f in obs_frames] == list(range(1, last + 1))
        assert all(f["type"] != "note.added" for f in cand_frames)
        note_seqs = {f["seq"] for f in obs_frames if f["type"] == "note.added"}
        assert len(note_seqs) == 1
        assert [f["seq"] for f in cand_frames] == [
            s for s in range(2, last + 1) if s not in note_seqs
        ]
    finally:
        await a.hub.stop()
        await b.hub.stop()


async def test_a_client_behind_the_retained_log_gets_a_resync(processes: list[Process]) -> None:
    a, _ = processes
    await a.hub.start()
    try:
        session_id, candidate = await new_room(a)
        for i in range(5):
            await a.service.execute(session_id, Draft(section="apis", text=f"v{i}"), candidate)
        await a.redis.xtrim(keys.log(session_id), minid="4-0", approximate=False)
        _, frames = await collect(a, session_id, observer=False, after=1)
        await wait_for(lambda: frames and frames[-1]["seq"] == 6)
        assert frames[0] == {"type": "snapshot", "seq": 6}
    finally:
        await a.hub.stop()


async def test_archive_then_rebuild_a_room_redis_lost(processes: list[Process]) -> None:
    a, b = processes
    session_id, candidate = await new_room(a)
    await a.service.execute(session_id, Clarify(question="How many floors are there?"), candidate)
    await a.service.execute(session_id, Draft(section="entities", text="Floor, Spot"), candidate)
    await a.archiver.flush([session_id])
    seq, state = await a.service.state(session_id)
    assert await SessionEvent.count().where(SessionEvent.session_id == session_id) == seq
    snap = await SessionSnapshot.select().where(SessionSnapshot.session_id == session_id).first()
    assert snap is not None and snap["seq"] == seq
    row = await InterviewSession.select().where(InterviewSession.id == session_id).first()
    assert row is not None and row["last_seq"] == seq and row["clarifications_used"] == 1
    logged = await ClarificationLog.select().where(ClarificationLog.session_id == session_id)
    assert len(logged) == 1 and logged[0]["interviewer_response"]

    await a.redis.delete(*keys.all_room_keys(session_id))
    fresh = Process(b.redis, b.clock)  # a process that never saw the room
    rebuilt_seq, rebuilt = await fresh.service.state(session_id)
    # A new epoch, continuing past every seq the room may have acknowledged before the loss.
    assert rebuilt == state
    assert rebuilt_seq >= seq
    assert await fresh.store.epoch(session_id) == 1
    outcome = await fresh.service.execute(
        session_id, Draft(section="apis", text="GET /spots"), candidate
    )
    assert outcome.first_seq == rebuilt_seq + 1


async def test_system_actor_cannot_be_impersonated_by_clients(processes: list[Process]) -> None:
    a, _ = processes
    session_id, _ = await new_room(a)
    with pytest.raises(DomainError) as refused:
        await a.service.execute(session_id, Clarify(question="x?"), SYSTEM)
    assert refused.value.code == "role_forbidden"


async def test_human_answer_mode_waits_for_the_interviewer_then_falls_back(
    processes: list[Process], clock: FakeClock
) -> None:
    from domain.commands import Answer, AnswerMode
    from domain.timers import HUMAN_ANSWER_TIMEOUT_SECS

    a, b = processes
    session_id, candidate = await new_room(a, max_clarifications=5)
    observer = Actor(user_id="interviewer-7", role=Role.OBSERVER)
    await b.service.execute(session_id, AnswerMode(mode="human"), observer)
    await a.service.execute(
        session_id, Clarify(question="Do we need to support EV charging?"), candidate
    )
    _, state = await b.service.state(session_id)
    assert state.clarifications[-1].answer is None, "pending until a human answers"
    await b.service.execute(
        session_id, Answer(clarification_id="c1", text="Yes, 10% of spots."), observer
    )
    await a.service.execute(session_id, Clarify(question="How many floors are there?"), candidate)
    clock.advance(HUMAN_ANSWER_TIMEOUT_SECS + 1)
    await b.timers.fire(session_id)
    _, state = await a.service.state(session_id)
    first, second = state.clarifications
    assert (first.answer, first.answered_by) == ("Yes, 10% of spots.", "human")
    assert second.answered_by == "fallback" and second.answer
    with pytest.raises(DomainError) as late:
        await b.service.execute(session_id, Answer(clarification_id="c2", text="late"), observer)
    assert late.value.code == "clarification_answered"


async def test_presence_counts_sockets_and_expires_a_dead_process_s(
    processes: list[Process], clock: FakeClock
) -> None:
    from domain.commands import Join
    from rooms.presence import PRESENCE_TTL_SECS, PresenceBoard

    a, b = processes
    session_id, _ = await new_room(a)
    board_a, board_b = PresenceBoard(a.redis), PresenceBoard(b.redis)
    assert await board_a.join(session_id, "ivan", "socket-1", clock.now)  # first socket: arrives
    assert not await board_b.join(session_id, "ivan", "socket-2", clock.now)  # a second tab
    await a.service.execute(session_id, Join(user_id="ivan", role="observer", name="Ivan"), SYSTEM)
    assert not await board_a.leave(session_id, "ivan", "socket-1", clock.now)  # one tab closed
    clock.advance(PRESENCE_TTL_SECS / 2)
    assert await board_a.sweep(session_id, clock.now) == []
    clock.advance(PRESENCE_TTL_SECS)  # process b died: socket-2 was never refreshed
    sweeper = b.sweeper_for(board_b)
    await sweeper.sweep(session_id)
    _, state = await a.service.state(session_id)
    assert "ivan" not in state.presence
    log = [s.frame for s in await a.store.read(session_id, 0)]
    assert sum(b'"presence.left"' in f for f in log) == 1


async def test_events_pub_sub_dropped_are_read_from_the_stream(processes: list[Process]) -> None:
    a, _ = processes
    await a.hub.start()
    try:
        session_id, candidate = await new_room(a)
        _, frames = await collect(a, session_id, observer=True, after=0)
        await a.hub._pubsub.unsubscribe(keys.events(session_id))  # as if the channel dropped them
        for i in range(3):
            await a.service.execute(session_id, Draft(section="apis", text=f"v{i}"), candidate)
        last = await a.store.current_seq(session_id)
        await a.hub.reconcile()
        await wait_for(lambda: frames and frames[-1]["seq"] == last)
        assert [f["seq"] for f in frames] == list(range(1, last + 1))
    finally:
        await a.hub.stop()


async def test_a_due_timer_is_found_and_fired_by_a_process_started_later(
    processes: list[Process], clock: FakeClock
) -> None:
    a, b = processes
    session_id, _ = await new_room(a)
    clock.advance(DURATIONS["clarifying"] + 30)  # every app process was down past the deadline
    restarted = Process(b.redis, clock)  # a new process: nothing cached, only Redis
    due = await restarted.store.claim(keys.TIMERS, clock.now, 5.0, 1000)
    assert session_id in due
    await restarted.timers.fire(session_id)
    _, state = await a.service.state(session_id)
    assert state.phase == "design"
