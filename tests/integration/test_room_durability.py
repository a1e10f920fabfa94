"""Nothing acknowledged is reused or lies (issue 13): seqs continue past a lost Redis under a
new epoch, timers are re-armed from Postgres, and a milestone that Postgres cannot take is not
applied at all."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
import redis.asyncio as aioredis

from domain.commands import Advance, Draft
from domain.phases import Phase
from domain.room import decide, evolve_all
from domain.room_tables import SessionEvent, SessionSnapshot
from domain.tables import InterviewSession
from rooms import archive, keys
from rooms.background import Archiver
from rooms.errors import RoomUnavailable
from rooms.frames import StoredEvent, build_frame
from rooms.service import RoomService
from tests.integration.rooms_support import FakeClock, Process
from tests.integration.test_rooms import DURATIONS, new_room
from tests.support.servers import SuiteServers


@pytest.fixture
async def process(servers: SuiteServers, database: str) -> AsyncIterator[Process]:
    client = aioredis.Redis.from_url(servers.redis_url)
    yield Process(client, FakeClock())
    await client.aclose()


async def snapshot_seq(session_id: str) -> int | None:
    row = await SessionSnapshot.select().where(SessionSnapshot.session_id == session_id).first()
    return None if row is None else int(row["seq"])


async def test_after_redis_loses_a_room_no_acknowledged_seq_is_used_again(
    process: Process,
) -> None:
    session_id, candidate = await new_room(process)
    await process.service.execute(session_id, Draft(section="apis", text="v1"), candidate)
    await process.archiver.flush([session_id])
    acked = []
    for n in range(5):  # acknowledged, not yet archived: these are what a loss takes
        outcome = await process.service.execute(
            session_id, Draft(section="apis", text=f"v{n + 2}"), candidate
        )
        acked.append(outcome.last_seq)

    await process.redis.delete(*keys.all_room_keys(session_id))
    fresh = Process(process.redis, process.clock)
    seq, state = await fresh.service.state(session_id)
    assert seq >= max(acked), "the new epoch starts past every seq ever acknowledged"
    assert state.draft["apis"] == "v1", "the archived state, honestly behind"
    assert await fresh.store.epoch(session_id) == 1
    after = await fresh.service.execute(session_id, Draft(section="apis", text="v7"), candidate)
    assert after.first_seq > max(acked)
    row = await InterviewSession.select().where(InterviewSession.id == session_id).first()
    assert row is not None and row["epoch"] == 1 and row["reserved_seq"] >= after.last_seq


async def test_a_rebuilt_timed_room_still_expires_at_its_deadline(process: Process) -> None:
    session_id, candidate = await new_room(process)
    await process.service.execute(session_id, Advance(to="design"), candidate)
    await process.redis.delete(*keys.all_room_keys(session_id))
    await process.redis.zrem(keys.TIMERS, session_id)  # the schedule went with the rest

    fresh = Process(process.redis, process.clock)
    await fresh.service.state(session_id)  # someone opens the room: it is rebuilt
    due = await process.redis.zscore(keys.TIMERS, session_id)
    assert due is not None, "the deadline is re-armed from the rebuilt state"
    assert due <= process.clock() + DURATIONS["design"]
    process.clock.advance(DURATIONS["design"] + 1)
    await fresh.timers.fire(session_id)  # what the timer loop does once the room is due
    _, state = await fresh.service.state(session_id)
    assert state.phase in (Phase.SUBMITTED, Phase.EVALUATING, Phase.EXPIRED)


async def unreachable_pool() -> asyncpg.Pool:
    """A pool to a port nothing listens on: Postgres is down."""
    return await asyncpg.create_pool("postgresql://nobody@127.0.0.1:9/none", min_size=0)


async def test_a_milestone_postgres_cannot_take_is_not_applied(process: Process) -> None:
    session_id, candidate = await new_room(process)
    before = await process.store.current_seq(session_id)
    down = await unreachable_pool()
    try:
        rules = archive.RulesCache(lambda: process.archiver._pool())
        service = RoomService(
            process.store,
            rules,
            archive.SnapshotLoader(lambda: down),
            clock=process.clock,
            ledger=archive.SeqLedger(lambda: down),
        )
        service.durable = Archiver(service, process.store, lambda: down, clock=process.clock)
        with pytest.raises(RoomUnavailable):
            await service.execute(session_id, Advance(to="design"), candidate)
    finally:
        await down.close()
    assert await process.store.current_seq(session_id) == before, "nothing appended"
    _, state = await process.service.state(session_id)
    assert state.phase == Phase.CLARIFYING
    # Postgres back: the same command goes through and is in Postgres before its ack returns.
    outcome = await process.service.execute(session_id, Advance(to="design"), candidate)
    snapshot = (
        await SessionSnapshot.select().where(SessionSnapshot.session_id == session_id).first()
    )
    assert snapshot is not None and snapshot["seq"] == outcome.last_seq
    logged = await SessionEvent.count().where(SessionEvent.session_id == session_id)
    assert logged == outcome.last_seq


async def test_a_milestone_written_ahead_of_a_lost_race_is_taken_back(process: Process) -> None:
    session_id, candidate = await new_room(process)
    seq, state = await process.service.state(session_id)
    other = Process(process.redis, process.clock)
    # Another process appends first; this one's advance was written ahead at the same seqs.
    await other.service.execute(session_id, Draft(section="apis", text="theirs"), candidate)
    events = decide(state, Advance(to="design"), candidate, process.clock(), [], {})
    ahead = [
        StoredEvent(seq + 1 + i, "all", build_frame(ev, seq + 1 + i, process.clock(), "u"))
        for i, ev in enumerate(events)
    ]
    await process.archiver.ahead(session_id, seq, ahead, evolve_all(state, events))
    true_seq, true_state = await other.service.state(session_id)
    await process.archiver.undo(session_id, ahead, true_seq, true_state)

    rows = await SessionEvent.select(SessionEvent.type).where(
        (SessionEvent.session_id == session_id) & (SessionEvent.seq > seq)
    )
    assert [r["type"] for r in rows] == ["draft.updated"], "only what really happened"
    snapshot = (
        await SessionSnapshot.select().where(SessionSnapshot.session_id == session_id).first()
    )
    assert snapshot is not None and snapshot["seq"] == true_seq
    session = await InterviewSession.select().where(InterviewSession.id == session_id).first()
    assert session is not None and session["status"] == Phase.CLARIFYING.value
