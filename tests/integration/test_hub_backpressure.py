"""A socket slower than its room: its queue overflows, the room goes quiet, and still every
event reaches it, once and in order (the tail is read from the stream, not left to a later
event that may never come)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import msgspec
import pytest
import redis.asyncio as aioredis

from domain.commands import Draft
from rooms.hub import Subscriber
from tests.integration.rooms_support import FakeClock, Process
from tests.integration.test_rooms import new_room
from tests.support.servers import SuiteServers

QUEUE_FRAMES = 4
BURST = 60


@pytest.fixture
async def process(servers: SuiteServers, database: str) -> AsyncIterator[Process]:
    client = aioredis.Redis.from_url(servers.redis_url)
    yield Process(client, FakeClock())
    await client.aclose()


class SlowSocket:
    """Blocks every write until released, as a client on a congested link does."""

    def __init__(self) -> None:
        self.open = asyncio.Event()
        self.seqs: list[int] = []

    async def send(self, text: str) -> None:
        await self.open.wait()
        self.seqs.append(msgspec.json.decode(text)["seq"])


async def test_a_burst_past_the_queue_then_silence_still_delivers_the_tail(
    process: Process,
) -> None:
    session_id, candidate = await new_room(process)
    start = await process.store.current_seq(session_id) or 0
    socket = SlowSocket()

    async def resync() -> int:
        raise AssertionError("the events are all in Redis; no resync is needed")

    subscriber = Subscriber(
        session_id, False, start, process.store, socket.send, resync, queue_frames=QUEUE_FRAMES
    )
    await process.hub.subscribe(subscriber)
    for i in range(BURST):
        await process.service.execute(session_id, Draft(section="extra", text=f"v{i}"), candidate)
    last = await process.store.current_seq(session_id)
    assert last == start + BURST
    await process.hub.reconcile()  # hands the hub every event, as its listener would
    socket.open.set()  # the client catches up; nothing more happens in the room
    await subscriber.wait_idle()
    assert socket.seqs == list(range(start + 1, last + 1))


async def test_a_socket_past_its_byte_budget_is_dropped_once_and_its_queue_freed(
    process: Process,
) -> None:
    """The slow-consumer policy: queued text past the budget closes the subscriber, tells its
    socket once, and keeps nothing more for it."""
    session_id, candidate = await new_room(process)
    start = await process.store.current_seq(session_id) or 0
    socket = SlowSocket()  # never released: the client stopped reading
    overflows: list[int] = []

    async def resync() -> int:
        raise AssertionError("a dropped subscriber does not resync")

    budget = 50_000
    subscriber = Subscriber(
        session_id,
        False,
        start,
        process.store,
        socket.send,
        resync,
        max_queued_chars=budget,
        on_overflow=lambda: overflows.append(1),
    )
    await process.hub.subscribe(subscriber)
    text = "y" * 9_000
    for i in range(12):  # about 110,000 characters of drafts
        await process.service.execute(
            session_id, Draft(section="extra", text=f"{i}{text}"), candidate
        )
    await process.hub.reconcile()  # hands the hub every event, as its listener would
    assert overflows == [1]
    assert subscriber.queued_chars == 0
    await process.service.execute(session_id, Draft(section="extra", text="later"), candidate)
    await process.hub.reconcile()
    assert overflows == [1], "told once"
    socket.open.set()
    await subscriber.wait_idle()
    assert len(socket.seqs) <= 1, "only the frame already being written went out"
    process.hub.unsubscribe(subscriber)
