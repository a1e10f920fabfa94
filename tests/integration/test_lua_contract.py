"""The contract of every atomic Redis step (the Lua scripts), through the Python wrappers that
use them, on each server the product supports: Valkey 8 (the wheel's) and Redis 7 (Debian's).

Each server is a private process started for this module (tests/support/redis_server.py); every
test gets a flushed database and first checks which server and version it is talking to. Time is
the scripts' `now` argument, never a sleep; where a key's own TTL is the clock (leases), the
test shortens or deletes the key to stand for time passing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import redis.asyncio as aioredis

from domain.phases import Phase
from domain.state import RoomState
from evaluator.leases import Lease, evaluation_key, is_held
from rooms import keys
from rooms.frames import Snapshot
from rooms.presence import PRESENCE_TTL_SECS, PresenceBoard
from rooms.store import COMMAND_DEDUPE_TTL_SECS, RETAINED_EVENTS, AppendResult, RoomStore
from server.accounts.ratelimit import Limit, blocked_for, enforce, hit, limit_key
from server.errors import RateLimited
from tests.support.redis_server import (
    REDIS_SERVER,
    PrivateServer,
    ensure_redis_server,
    valkey_executable,
)

# A fractional `now`: the scripts must carry fractions of a second through, on every server.
T0 = 1_800_000_000.25
TTL = PRESENCE_TTL_SECS
SCHEDULE = "contract:schedule"
# Waiting for a pub/sub message bounds a broken fan-out; a working one answers in milliseconds.
MESSAGE_TIMEOUT_SECS = 5.0


@pytest.fixture(scope="session", params=["valkey-8", "redis-7"])
def contract_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, PrivateServer]]:
    name: str = request.param
    if name == "redis-7":
        missing = ensure_redis_server()
        if missing:
            pytest.skip(f"Redis 7 Lua contract NOT checked: {missing}")
        executable = str(REDIS_SERVER)
    else:
        executable = valkey_executable()
    server = PrivateServer(executable, tmp_path_factory.mktemp(name)).start()
    try:
        yield name, server
    finally:
        server.stop()


def assert_is(name: str, info: dict[str, Any]) -> None:
    """The server is the one the parameter names: Valkey 8.x, or Redis 7.x (not Valkey)."""
    versions = {k: info.get(k) for k in ("server_name", "redis_version", "valkey_version")}
    if name == "valkey-8":
        assert str(info.get("valkey_version", "")).startswith("8."), versions
    else:
        assert "valkey_version" not in info, versions
        assert str(info.get("redis_version", "")).startswith("7."), versions


@pytest.fixture
async def redis(contract_server: tuple[str, PrivateServer]) -> AsyncIterator[aioredis.Redis]:
    """A client on a freshly flushed database of the parametrised server."""
    name, server = contract_server
    client = aioredis.Redis.from_url(server.url)
    try:
        assert_is(name, await client.info("server"))
        await client.flushdb()
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def other(
    contract_server: tuple[str, PrivateServer], redis: aioredis.Redis
) -> AsyncIterator[aioredis.Redis]:
    """A second client on the same database: another app process."""
    client = aioredis.Redis.from_url(contract_server[1].url)
    try:
        yield client
    finally:
        await client.aclose()


def room_state(session_id: str) -> RoomState:
    return RoomState(
        session_id=session_id,
        question_id="q1",
        phase=Phase.CLARIFYING,
        mode="timed",
        durations={"clarifying": 60, "design": 120},
        max_clarifications=3,
        answer_mode="rules",
        started_at=T0,
    )


def frames(first_seq: int, count: int) -> list[tuple[str, bytes]]:
    return [("all", b'{"n":%d}' % seq) for seq in range(first_seq, first_seq + count)]


def ok(first: int, last: int) -> AppendResult:
    return AppendResult("ok", first, last)


# append.lua — RoomStore.append / read / current_seq / snapshot / command_outcome


async def test_append_assigns_consecutive_seqs_and_keeps_each_frame(redis: aioredis.Redis) -> None:
    store = RoomStore(redis)
    assert await store.current_seq("s1") is None
    first = [("all", b'{"n":1}'), ("observers", b'{"note":"a|b"}')]
    assert await store.append("s1", 0, first, now=T0) == ok(1, 2)
    assert await store.append("s1", 2, [("all", b"\x00\xff|binary")], now=T0 + 1) == ok(3, 3)
    assert await store.current_seq("s1") == 3
    stored = [(e.seq, e.audience, e.frame) for e in await store.read("s1", 0)]
    assert stored == [(1, *first[0]), (2, *first[1]), (3, "all", b"\x00\xff|binary")]
    assert [e.seq for e in await store.read("s1", 1, until=2)] == [2]
    assert [e.seq for e in await store.read("s1", 0, count=2)] == [1, 2]


async def test_append_stores_a_given_snapshot_and_keeps_it_otherwise(
    redis: aioredis.Redis,
) -> None:
    store = RoomStore(redis)
    snapshot = Snapshot(2, room_state("s1"))
    assert await store.append("s1", 0, frames(1, 2), now=T0, snapshot=snapshot) == ok(1, 2)
    assert await store.append("s1", 2, frames(3, 1), now=T0) == ok(3, 3)
    assert await store.snapshot("s1") == snapshot


async def test_append_marks_the_room_dirty_from_its_first_unarchived_append(
    redis: aioredis.Redis,
) -> None:
    store = RoomStore(redis)
    await store.append("s1", 0, frames(1, 1), now=T0)
    await store.append("s1", 1, frames(2, 1), now=T0 + 50)
    assert await redis.zscore(keys.DIRTY, "s1") == T0


async def test_append_refuses_a_stale_expected_seq_and_writes_nothing(
    redis: aioredis.Redis,
) -> None:
    store = RoomStore(redis)
    assert await store.append("s1", 0, frames(1, 2), now=T0) == ok(1, 2)
    for wrong in (0, 1, 3):
        conflict = await store.append("s1", wrong, frames(9, 1), now=T0)
        assert conflict == AppendResult("conflict", 2, 2)
    assert await store.append("fresh", 1, frames(1, 1), now=T0) == AppendResult("conflict", 0, 0)
    assert await store.current_seq("s1") == 2
    assert await store.current_seq("fresh") is None
    assert [e.seq for e in await store.read("s1", 0)] == [1, 2]


async def test_a_repeated_command_id_gets_the_first_outcome(redis: aioredis.Redis) -> None:
    store = RoomStore(redis)
    command = keys.command("s1", "u1", "c1")
    assert await store.append("s1", 0, frames(1, 2), now=T0, command_key=command) == ok(1, 2)
    for expected in (0, 2):  # retried from the old position, or after catching up
        again = await store.append("s1", expected, frames(9, 3), now=T0, command_key=command)
        assert again == AppendResult("duplicate", 1, 2)
    assert await store.current_seq("s1") == 2
    assert await store.command_outcome(command) == (1, 2)
    assert 0 < await redis.ttl(command) <= COMMAND_DEDUPE_TTL_SECS
    another = keys.command("s1", "u1", "c2")
    assert await store.append("s1", 2, frames(3, 1), now=T0, command_key=another) == ok(3, 3)
    # Without a command id nothing is remembered: the same events may be appended again.
    assert await store.append("s1", 3, frames(4, 1), now=T0) == ok(4, 4)
    assert await store.append("s1", 4, frames(4, 1), now=T0) == ok(5, 5)


async def test_a_refused_command_is_not_remembered(redis: aioredis.Redis) -> None:
    store = RoomStore(redis)
    command = keys.command("s1", "u1", "c1")
    await store.append("s1", 0, frames(1, 2), now=T0)
    refused = await store.append("s1", 0, frames(9, 1), now=T0, command_key=command)
    assert refused == AppendResult("conflict", 2, 2)
    assert await store.command_outcome(command) is None
    assert await store.append("s1", 2, frames(3, 1), now=T0, command_key=command) == ok(3, 3)


async def test_concurrent_appends_at_one_position_let_exactly_one_in(
    redis: aioredis.Redis, other: aioredis.Redis
) -> None:
    stores = [RoomStore(redis), RoomStore(other)] * 3
    results = await asyncio.gather(*(s.append("s1", 0, frames(1, 2), now=T0) for s in stores))
    assert sorted(r.status for r in results) == ["conflict"] * 5 + ["ok"]
    assert [e.seq for e in await stores[0].read("s1", 0)] == [1, 2]


async def test_concurrent_retries_of_one_command_all_get_its_outcome(
    redis: aioredis.Redis, other: aioredis.Redis
) -> None:
    stores = [RoomStore(redis), RoomStore(other)] * 3
    command = keys.command("s1", "u1", "c1")
    results = await asyncio.gather(
        *(s.append("s1", 0, frames(1, 2), now=T0, command_key=command) for s in stores)
    )
    assert sorted(r.status for r in results) == ["duplicate"] * 5 + ["ok"]
    assert {(r.first_seq, r.last_seq) for r in results} == {(1, 2)}


async def received(pubsub: aioredis.client.PubSub, kind: str, count: int) -> list[dict[str, Any]]:
    """The next `count` pub/sub replies of this kind ("subscribe", "message")."""
    got: list[dict[str, Any]] = []
    async with asyncio.timeout(MESSAGE_TIMEOUT_SECS):
        while len(got) < count:
            reply = await pubsub.get_message(timeout=MESSAGE_TIMEOUT_SECS)
            if reply is not None and reply["type"] == kind:
                got.append(reply)
    return got


async def test_append_publishes_each_new_event_once_on_the_room_channel(
    redis: aioredis.Redis, other: aioredis.Redis
) -> None:
    store = RoomStore(redis)
    pubsub = other.pubsub()
    try:
        await pubsub.subscribe(keys.events("s1"), keys.events("s2"))
        await received(pubsub, "subscribe", 2)
        command = keys.command("s1", "u1", "c1")
        await store.append("s1", 0, [("all", b"one"), ("observers", b"two|2")], now=T0)
        assert (await store.append("s1", 0, frames(9, 1), now=T0)).status == "conflict"
        await store.append("s1", 2, [("all", b"three")], now=T0, command_key=command)
        again = await store.append("s1", 2, [("all", b"3!")], now=T0, command_key=command)
        assert again.status == "duplicate"
        await store.append("s1", 3, [("all", b"four")], now=T0)
        # Conflicts and duplicates publish nothing: the next message after them is seq 4.
        messages = await received(pubsub, "message", 4)
    finally:
        await pubsub.aclose()
    assert [m["channel"] for m in messages] == [keys.events("s1").encode()] * 4
    assert [m["data"] for m in messages] == [
        b"1|all|one",
        b"2|observers|two|2",
        b"3|all|three",
        b"4|all|four",
    ]


# claim.lua — RoomStore.claim


async def test_two_concurrent_claimers_get_each_due_member_once(
    redis: aioredis.Redis, other: aioredis.Redis
) -> None:
    await redis.zadd(SCHEDULE, {f"room-{i}": T0 + i for i in range(40)})
    claimers = (RoomStore(redis), RoomStore(other))
    claimed: list[str] = []
    for _ in range(6):
        batches = await asyncio.gather(*(c.claim(SCHEDULE, T0 + 29, 60, 7) for c in claimers))
        claimed += [member for batch in batches for member in batch]
    assert sorted(claimed) == sorted(f"room-{i}" for i in range(30))


async def test_claim_takes_at_most_the_limit_oldest_due_first(redis: aioredis.Redis) -> None:
    store = RoomStore(redis)
    await redis.zadd(SCHEDULE, {"late": T0 + 5, "early": T0 + 1, "middle": T0 + 3, "not": T0 + 9})
    assert await store.claim(SCHEDULE, T0 + 5, 30, 2) == ["early", "middle"]
    assert await store.claim(SCHEDULE, T0 + 5, 30, 2) == ["late"]
    assert await store.claim(SCHEDULE, T0 + 5, 30, 2) == []


async def test_claim_offers_a_member_again_when_its_lease_runs_out(redis: aioredis.Redis) -> None:
    store = RoomStore(redis)
    await redis.zadd(SCHEDULE, {"a": T0, "b": T0 + 10, "c": T0 + 100})
    assert await store.claim(SCHEDULE, T0 - 0.25, 30, 10) == []
    assert await store.claim(SCHEDULE, T0 + 10, 30.5, 10) == ["a", "b"]
    assert await store.claim(SCHEDULE, T0 + 40.25, 30, 10) == []  # leased until T0 + 40.5
    assert await store.claim(SCHEDULE, T0 + 40.5, 30, 10) == ["a", "b"]
    assert await store.claim(SCHEDULE, T0 + 70.25, 30, 10) == []  # a new lease, from T0 + 40.5
    assert await store.claim(SCHEDULE, T0 + 100, 30, 10) == ["a", "b", "c"]


# settle.lua — RoomStore.settle


async def test_settle_reschedules_only_a_room_that_has_not_moved_on(
    redis: aioredis.Redis,
) -> None:
    store = RoomStore(redis)
    await store.append("s1", 0, frames(1, 3), now=T0)
    await redis.zadd(keys.TIMERS, {"s1": T0})
    assert await store.claim(keys.TIMERS, T0, 30, 10) == ["s1"]  # leased until T0 + 30
    assert await store.settle(keys.TIMERS, "s1", 2, T0 + 5) is False  # saw 2, the room is at 3
    assert await store.claim(keys.TIMERS, T0 + 29, 30, 10) == []  # the lease still stands
    assert await store.settle(keys.TIMERS, "s1", 3, T0 + 5.5) is True
    assert await store.claim(keys.TIMERS, T0 + 5.25, 30, 10) == []
    assert await store.claim(keys.TIMERS, T0 + 5.5, 30, 10) == ["s1"]


async def test_settle_without_a_next_due_time_unschedules_the_room(redis: aioredis.Redis) -> None:
    store = RoomStore(redis)
    await store.append("s1", 0, frames(1, 1), now=T0)
    await redis.zadd(keys.TIMERS, {"s1": T0})
    assert await store.settle(keys.TIMERS, "s1", 0, None) is False
    assert await redis.zscore(keys.TIMERS, "s1") == T0
    assert await store.settle(keys.TIMERS, "s1", 1, None) is True
    assert await redis.zscore(keys.TIMERS, "s1") is None


# archived.lua — RoomStore.mark_archived_many / archived_seqs (and the trim that goes with it)


async def test_archiving_clears_dirty_unless_the_room_moved_on(redis: aioredis.Redis) -> None:
    store = RoomStore(redis)
    await store.append("s1", 0, frames(1, 3), now=T0)
    await store.append("s2", 0, frames(1, 2), now=T0)
    await store.mark_archived_many([("s1", 3), ("s2", 1)], now=T0 + 7.5)
    assert await store.archived_seqs(["s1", "s2", "never"]) == [3, 1, 0]
    assert await redis.zscore(keys.DIRTY, "s1") is None
    assert await redis.zscore(keys.DIRTY, "s2") == T0 + 7.5  # dirty again, from now
    await store.append("s1", 3, frames(4, 1), now=T0 + 9)
    assert await redis.zscore(keys.DIRTY, "s1") == T0 + 9


async def test_the_archived_position_never_moves_back(redis: aioredis.Redis) -> None:
    store = RoomStore(redis)
    await store.append("s1", 0, frames(1, 5), now=T0)
    await store.mark_archived_many([("s1", 5)], now=T0 + 1)
    await store.mark_archived_many([("s1", 3)], now=T0 + 2)  # a slower archiver finishing late
    assert await store.archived_seqs(["s1"]) == [5]


async def test_archiving_trims_the_log_to_the_retained_events(redis: aioredis.Redis) -> None:
    store = RoomStore(redis)
    total = RETAINED_EVENTS + 600
    for seq in range(0, total, 100):
        assert await store.append("s1", seq, frames(seq + 1, 100), now=T0) == ok(seq + 1, seq + 100)
    await store.mark_archived_many([("s1", RETAINED_EVENTS)], now=T0)
    assert len(await store.read("s1", 0)) == total  # nothing beyond the retained count yet
    await store.mark_archived_many([("s1", total)], now=T0)
    kept = [event.seq for event in await store.read("s1", 0)]
    oldest_needed = total - RETAINED_EVENTS + 1
    # Trimming is approximate (whole stream nodes): some older events may stay, none needed go.
    assert 1 < kept[0] <= oldest_needed
    assert kept == list(range(kept[0], total + 1))


async def test_a_bounded_append_never_passes_the_reserved_high_water_mark(
    redis: aioredis.Redis,
) -> None:
    store = RoomStore(redis)
    store.bounded = True
    assert await store.append("s1", 0, frames(1, 2), now=T0) == AppendResult("reserve", 0, 0)
    assert await store.current_seq("s1") is None, "nothing written past the mark"
    await store.raise_high_water("s1", 3)
    assert await store.append("s1", 0, frames(1, 2), now=T0) == ok(1, 2)
    assert await store.append("s1", 2, frames(3, 2), now=T0) == AppendResult("reserve", 2, 2)
    await store.raise_high_water("s1", 1)  # a stale reservation never lowers the mark
    assert await store.append("s1", 2, frames(3, 1), now=T0) == ok(3, 3)


# restore.lua — RoomStore.restore


async def test_restore_rebuilds_a_lost_room_once(
    redis: aioredis.Redis, other: aioredis.Redis
) -> None:
    snapshots = [Snapshot(7, room_state("s1")), Snapshot(9, room_state("s1"))]
    stores = [RoomStore(redis), RoomStore(other)]
    pairs = zip(stores, snapshots, strict=True)
    restored = await asyncio.gather(
        *(store.restore("s1", snap, 1000 + n, n + 1) for n, (store, snap) in enumerate(pairs))
    )
    assert sorted(restored) == [False, True]
    won = restored.index(True)
    winner = snapshots[won]
    assert await stores[0].snapshot("s1") == winner
    assert await stores[0].current_seq("s1") == winner.seq
    assert await stores[0].epoch("s1") == won + 1, "the winner's epoch, not a mix"
    after = winner.seq + 1
    assert await stores[1].append("s1", winner.seq, frames(after, 1), now=T0) == ok(after, after)


async def test_restore_leaves_a_live_room_alone(redis: aioredis.Redis) -> None:
    store = RoomStore(redis)
    live = Snapshot(3, room_state("s1"))
    await store.append("s1", 0, frames(1, 3), now=T0, snapshot=live)
    assert await store.restore("s1", Snapshot(1, room_state("s1")), 1000, 1) is False
    assert await store.epoch("s1") == 0
    assert await store.current_seq("s1") == 3
    assert await store.snapshot("s1") == live


# presence.lua — PresenceBoard (and the sweep schedule it keeps)


async def test_join_and_leave_count_each_users_sockets(redis: aioredis.Redis) -> None:
    board = PresenceBoard(redis)
    assert await board.join("s1", "u1", "c1", T0) is True  # arrived
    assert await board.join("s1", "u1", "c2", T0 + 1) is False  # a second tab
    assert await board.join("s1", "u2", "c3", T0 + 1) is True
    assert await board.leave("s1", "u1", "c1", T0 + 2) is False  # still has c2
    assert await board.leave("s1", "u1", "c2", T0 + 3) is True  # gone
    assert await board.leave("s1", "u2", "c3", T0 + 3) is True


async def test_presence_tells_users_and_rooms_apart(redis: aioredis.Redis) -> None:
    board = PresenceBoard(redis)
    assert await board.join("s1", "u1", "c1", T0) is True
    assert await board.join("s1", "u10", "c2", T0) is True  # not one of u1's sockets
    assert await board.join("s2", "u1", "c3", T0) is True  # another room
    assert await board.leave("s1", "u1", "c1", T0) is True


async def test_unrefreshed_sockets_expire_by_the_given_now(redis: aioredis.Redis) -> None:
    board = PresenceBoard(redis)
    await board.join("s1", "u1", "c1", T0)
    await board.join("s1", "u1", "c2", T0 + 30)
    await board.join("s1", "u2", "c3", T0 + 30)
    assert await board.sweep("s1", T0 + TTL + 1) == []  # c1 expired; u1 still has c2
    assert sorted(await board.sweep("s1", T0 + 30 + TTL + 1)) == ["u1", "u2"]
    assert await board.sweep("s1", T0 + 1000) == []  # each departure is reported once
    assert await board.join("s1", "u1", "c4", T0 + 1000) is True  # arrives again


async def test_an_expired_socket_does_not_count_even_before_a_sweep(redis: aioredis.Redis) -> None:
    board = PresenceBoard(redis)
    await board.join("s1", "u1", "c1", T0)
    assert await board.join("s1", "u1", "c2", T0 + TTL + 1) is True
    assert await board.leave("s1", "u1", "c2", T0 + TTL + 2) is True


async def test_refresh_keeps_a_socket_alive_but_never_revives_a_closed_one(
    redis: aioredis.Redis,
) -> None:
    board = PresenceBoard(redis)
    await board.join("s1", "u1", "c1", T0)
    await board.refresh("s1", "u1", "c1", T0 + 60)
    assert await board.sweep("s1", T0 + TTL + 1) == []
    assert await board.sweep("s1", T0 + 60 + TTL + 1) == ["u1"]
    await board.join("s1", "u2", "c2", T0)
    await board.leave("s1", "u2", "c2", T0 + 1)
    await board.refresh("s1", "u2", "c2", T0 + 2)  # a heartbeat racing the socket's close
    assert await board.join("s1", "u2", "c3", T0 + 3) is True


async def test_a_room_is_due_for_a_sweep_at_its_earliest_expiry(redis: aioredis.Redis) -> None:
    board, store = PresenceBoard(redis), RoomStore(redis)
    await board.join("s1", "u1", "c1", T0)
    await board.join("s1", "u2", "c2", T0 + 10)
    await board.join("s2", "u3", "c3", T0)
    await board.leave("s2", "u3", "c3", T0 + 1)  # no socket left: nothing to sweep
    assert await store.claim(keys.PRESENCE, T0 + TTL - 0.25, 30, 10) == []
    assert await board.sweep("s1", T0 + TTL) == ["u1"]
    assert await store.claim(keys.PRESENCE, T0 + TTL + 9.75, 30, 10) == []
    assert await store.claim(keys.PRESENCE, T0 + TTL + 10, 30, 10) == ["s1"]
    await board.leave("s1", "u2", "c2", T0 + TTL + 11)
    assert await store.claim(keys.PRESENCE, T0 + 10_000, 30, 10) == []


# lease_renew.lua, lease_release.lua — evaluator.leases.Lease


async def test_only_the_holder_renews_or_releases_a_lease(
    redis: aioredis.Redis, other: aioredis.Redis
) -> None:
    key = evaluation_key("s1")
    mine, theirs = Lease(redis, key, 30), Lease(other, key, 30)
    assert await mine.acquire() is True
    assert await theirs.acquire() is False
    assert theirs.lost
    assert await theirs.renew() is False
    await theirs.release()
    assert await is_held(redis, key)
    assert await mine.renew() is True
    await mine.release()
    assert not await is_held(redis, key)
    assert await theirs.acquire() is True
    assert await mine.renew() is False
    assert mine.lost


async def test_renewing_extends_the_holders_lease_only(
    redis: aioredis.Redis, other: aioredis.Redis
) -> None:
    key = evaluation_key("s1")
    mine, theirs = Lease(redis, key, 30), Lease(other, key, 30)
    await mine.acquire()
    await redis.pexpire(key, 1000)  # as if most of the lease had passed
    assert await theirs.renew() is False
    assert 0 < await redis.pttl(key) <= 1000
    assert await mine.renew() is True
    assert 29_000 < await redis.pttl(key) <= 30_000


async def test_a_holder_whose_lease_expired_cannot_touch_the_next_holders(
    redis: aioredis.Redis, other: aioredis.Redis
) -> None:
    key = evaluation_key("s1")
    mine, theirs = Lease(redis, key, 30), Lease(other, key, 30)
    assert await mine.acquire_or_renew() is True
    assert await mine.acquire_or_renew() is True  # keeps its own
    await redis.delete(key)  # its TTL ran out
    assert await theirs.acquire_or_renew() is True
    await mine.release()
    assert await is_held(redis, key)
    assert await mine.acquire_or_renew() is False
    assert await theirs.renew() is True


async def test_concurrent_acquirers_get_one_lease(
    redis: aioredis.Redis, other: aioredis.Redis
) -> None:
    key = evaluation_key("s1")
    leases = [Lease(client, key, 30) for client in (redis, other) * 4]
    acquired = await asyncio.gather(*(lease.acquire() for lease in leases))
    assert sorted(acquired) == [False] * 7 + [True]


# ratelimit.lua — server.accounts.ratelimit.hit / blocked_for / enforce

OTP_PER_EMAIL = Limit("contract-email", max_hits=3, window_secs=60)


async def test_hits_count_per_subject_and_limit_and_are_refused_past_it(
    redis: aioredis.Redis,
) -> None:
    subject = "a@example.test"
    assert [await hit(redis, OTP_PER_EMAIL, subject, T0) for _ in range(3)] == [0, 0, 0]
    assert await hit(redis, OTP_PER_EMAIL, subject, T0) == 60
    assert await hit(redis, OTP_PER_EMAIL, subject, T0 + 59) == 1
    assert await hit(redis, OTP_PER_EMAIL, "b@example.test", T0) == 0
    assert await hit(redis, Limit("contract-other", 3, 60), subject, T0) == 0
    assert await hit(redis, OTP_PER_EMAIL, subject, T0 + 60) == 0, "the window ran out"


async def test_the_window_starts_at_the_first_hit_and_later_hits_do_not_extend_it(
    redis: aioredis.Redis,
) -> None:
    key = limit_key(OTP_PER_EMAIL, "a@example.test")
    assert await hit(redis, OTP_PER_EMAIL, "a@example.test", T0) == 0
    assert 0 < await redis.ttl(key) <= 60
    assert await hit(redis, OTP_PER_EMAIL, "a@example.test", T0 + 55) == 0
    assert await hit(redis, OTP_PER_EMAIL, "a@example.test", T0 + 55) == 0
    assert await hit(redis, OTP_PER_EMAIL, "a@example.test", T0 + 55) == 5
    assert 0 < await redis.pttl(key) <= 5000, "the key lives until the window's end, no longer"
    assert await hit(redis, OTP_PER_EMAIL, "a@example.test", T0 + 60) == 0


async def test_fractions_of_a_second_are_kept_and_waits_round_up(redis: aioredis.Redis) -> None:
    for _ in range(3):
        await hit(redis, OTP_PER_EMAIL, "a@example.test", T0)
    assert await blocked_for(redis, OTP_PER_EMAIL, "a@example.test", T0 + 58.5) == 2
    assert await blocked_for(redis, OTP_PER_EMAIL, "a@example.test", T0 + 59.5) == 1
    assert await blocked_for(redis, OTP_PER_EMAIL, "a@example.test", T0 + 60) == 0


async def test_asking_counts_nothing(redis: aioredis.Redis) -> None:
    for _ in range(5):
        assert await blocked_for(redis, OTP_PER_EMAIL, "a@example.test", T0) == 0
    assert not await redis.exists(limit_key(OTP_PER_EMAIL, "a@example.test"))
    for _ in range(2):
        await hit(redis, OTP_PER_EMAIL, "a@example.test", T0)
    assert await blocked_for(redis, OTP_PER_EMAIL, "a@example.test", T0 + 1) == 0
    assert await hit(redis, OTP_PER_EMAIL, "a@example.test", T0 + 1) == 0
    assert await blocked_for(redis, OTP_PER_EMAIL, "a@example.test", T0 + 1) == 59


async def test_a_lagging_clock_waits_no_longer_than_a_window(redis: aioredis.Redis) -> None:
    for _ in range(3):
        await hit(redis, OTP_PER_EMAIL, "a@example.test", T0)
    assert await blocked_for(redis, OTP_PER_EMAIL, "a@example.test", T0 - 30) == 60
    assert await hit(redis, OTP_PER_EMAIL, "a@example.test", T0 - 30) == 60


async def test_concurrent_hits_let_exactly_the_limit_through(
    redis: aioredis.Redis, other: aioredis.Redis
) -> None:
    waits = await asyncio.gather(
        *(hit(client, OTP_PER_EMAIL, "a@example.test", T0) for client in (redis, other) * 10)
    )
    assert waits.count(0) == OTP_PER_EMAIL.max_hits


async def test_a_counter_left_without_expiry_gets_one(redis: aioredis.Redis) -> None:
    key = limit_key(OTP_PER_EMAIL, "a@example.test")
    await redis.hset(key, mapping={"start": T0, "count": 10})
    assert await hit(redis, OTP_PER_EMAIL, "a@example.test", T0) == OTP_PER_EMAIL.window_secs
    assert 0 < await redis.ttl(key) <= OTP_PER_EMAIL.window_secs


async def test_enforce_raises_at_the_first_limit_exceeded(redis: aioredis.Redis) -> None:
    per_email, per_ip = Limit("contract-e", 2, 60), Limit("contract-ip", 3, 600)
    checks = ((per_email, "a@example.test"), (per_ip, "127.0.0.1"))
    await enforce(redis, *checks, now=T0)
    await enforce(redis, *checks, now=T0)
    with pytest.raises(RateLimited) as raised:
        await enforce(redis, *checks, now=T0 + 10)
    assert raised.value.code == "rate_limited"
    assert raised.value.fields["retry_after"] == 50
    # The limits after the exceeded one were not counted: the IP has had two hits, not three.
    assert await hit(redis, per_ip, "127.0.0.1", T0) == 0
    assert await hit(redis, per_ip, "127.0.0.1", T0) > 0
