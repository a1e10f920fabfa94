"""The task stream under worker death and data loss, on each server the product supports
(Valkey 8, Redis 7), each a private process (tests/support/redis_server.py).

- The Lua scripts the evaluator adds (`stream_touch.lua`, `lease_renew.lua`'s retake), by their
  contract.
- `EvaluationBroker`: a live worker's job is never offered to another, a dead one's is claimed
  within the redelivery time, and a FLUSHALL costs the worker nothing but a log line.

Where the server's own clock decides (an entry's idle time), the redelivery time is short (1 s)
and the test waits on what the brokers deliver, bounded; nothing sleeps for a fixed time.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ResponseError
from taskiq import AckableMessage

from evaluator.broker import CONSUMER_GROUP, QUEUE_NAME, EvaluationBroker, is_stream_lost
from evaluator.leases import Lease, evaluation_key, lua_script
from tests.support.redis_server import (
    REDIS_SERVER,
    PrivateServer,
    ensure_redis_server,
    valkey_executable,
)

REDELIVERY_SECS = 1.0
# A bound on a delivery that should come (a broken broker fails here, not by hanging).
DELIVERY_TIMEOUT_SECS = 10.0


@pytest.fixture(scope="module", params=["valkey-8", "redis-7"])
def stream_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PrivateServer]:
    executable = valkey_executable()
    if request.param == "redis-7":
        if missing := ensure_redis_server():
            pytest.skip(f"Redis 7 NOT checked: {missing}")
        executable = str(REDIS_SERVER)
    server = PrivateServer(executable, tmp_path_factory.mktemp(request.param)).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def redis(stream_server: PrivateServer) -> AsyncIterator[aioredis.Redis]:
    # A bounded socket: a server that stops answering fails the test rather than hanging it.
    client = aioredis.Redis.from_url(stream_server.url, socket_timeout=DELIVERY_TIMEOUT_SECS)
    await client.flushall()
    yield client
    await client.aclose()


class Worker:
    """One broker's `listen()` pumped into a queue, as taskiq's receiver would; `die()` stops
    it without acknowledging anything, as SIGKILL would (its heartbeat stops with it)."""

    def __init__(self, broker: EvaluationBroker) -> None:
        self.broker = broker
        self.got: asyncio.Queue[tuple[float, AckableMessage]] = asyncio.Queue()
        self._pump = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async for message in self.broker.listen():
            self.got.put_nowait((time.monotonic(), message))

    async def next(self, within: float = DELIVERY_TIMEOUT_SECS) -> tuple[float, AckableMessage]:
        """The next delivery and when it came; TimeoutError if none comes `within` seconds."""
        return await asyncio.wait_for(self.got.get(), within)

    async def die(self) -> None:
        self._pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            # A listener that swallowed its cancellation fails here instead of hanging the suite.
            async with asyncio.timeout(DELIVERY_TIMEOUT_SECS):
                await self._pump


StartWorker = Callable[[], Awaitable[Worker]]


@pytest.fixture
async def start_worker(
    stream_server: PrivateServer, redis: aioredis.Redis
) -> AsyncIterator[StartWorker]:
    workers: list[Worker] = []

    async def start() -> Worker:
        broker = EvaluationBroker(stream_server.url, REDELIVERY_SECS)
        await broker.startup()
        workers.append(Worker(broker))
        return workers[-1]

    yield start
    for worker in workers:
        await worker.die()
        await worker.broker.shutdown()


async def pending_of(redis: aioredis.Redis) -> dict[str, tuple[str, int]]:
    """Entry id -> (consumer, idle ms) for every job read and not acknowledged."""
    rows = await redis.xpending_range(QUEUE_NAME, CONSUMER_GROUP, "-", "+", 100)
    return {
        row["message_id"].decode(): (row["consumer"].decode(), row["time_since_delivered"])
        for row in rows
    }


# stream_touch.lua — the heartbeat of EvaluationBroker


async def test_touch_resets_the_idle_time_of_this_consumers_entries_only(
    redis: aioredis.Redis,
) -> None:
    await redis.xgroup_create(QUEUE_NAME, CONSUMER_GROUP, id="0", mkstream=True)
    ours = await redis.xadd(QUEUE_NAME, {"data": b"1"})
    theirs = await redis.xadd(QUEUE_NAME, {"data": b"2"})
    await redis.xreadgroup(CONSUMER_GROUP, "c1", {QUEUE_NAME: ">"})
    await redis.xclaim(QUEUE_NAME, CONSUMER_GROUP, "c2", 0, [theirs], justid=True)
    await redis.xclaim(QUEUE_NAME, CONSUMER_GROUP, "c1", 0, [ours], idle=60_000, justid=True)
    await redis.xclaim(QUEUE_NAME, CONSUMER_GROUP, "c2", 0, [theirs], idle=60_000, justid=True)

    touch = lua_script(redis, "stream_touch")
    args = [CONSUMER_GROUP, "c1", ours.decode(), theirs.decode(), "9-9"]
    assert await touch(keys=[QUEUE_NAME], args=args) == [ours]
    pending = await pending_of(redis)
    assert pending[ours.decode()][0] == "c1" and pending[ours.decode()][1] < 5_000
    assert pending[theirs.decode()] == ("c2", pytest.approx(60_000, abs=5_000)), "left alone"
    deliveries = await redis.xpending_range(QUEUE_NAME, CONSUMER_GROUP, ours, ours, 1)
    assert deliveries[0]["times_delivered"] == 1, "a touch is not a redelivery"


async def test_touch_on_a_lost_stream_says_so(redis: aioredis.Redis) -> None:
    touch = lua_script(redis, "stream_touch")
    with pytest.raises(ResponseError) as lost:
        await touch(keys=[QUEUE_NAME], args=[CONSUMER_GROUP, "c1", "1-0"])
    assert is_stream_lost(lost.value)


# lease_renew.lua — a holder's renewal after its key went


async def test_a_renewal_takes_a_vanished_lease_again_but_not_one_someone_took(
    redis: aioredis.Redis,
) -> None:
    key = evaluation_key("s1")
    mine, theirs = Lease(redis, key, 30), Lease(redis, key, 30)
    assert await mine.acquire()
    await redis.delete(key)  # Redis lost its data, or the TTL ran out while nobody took it
    assert await mine.renew() is True and not mine.lost
    assert await redis.get(key) == mine.token.encode()
    assert 29_000 < await redis.pttl(key) <= 30_000
    await redis.delete(key)
    assert await theirs.acquire()
    assert await mine.renew() is False and mine.lost
    assert await redis.get(key) == theirs.token.encode()


# EvaluationBroker


async def test_a_live_workers_job_stays_with_it_and_a_dead_ones_is_taken_over(
    redis: aioredis.Redis, start_worker: StartWorker
) -> None:
    first, second = await start_worker(), await start_worker()
    await redis.xadd(QUEUE_NAME, {"data": b"job"})
    _, held = await first.next()
    assert held.data == b"job"

    # Alive for three redelivery times: its heartbeat keeps the job from looking idle.
    with pytest.raises(TimeoutError):
        await second.next(within=3 * REDELIVERY_SECS)
    ((consumer, idle_ms),) = (await pending_of(redis)).values()
    assert consumer == first.broker.consumer_name and idle_ms < REDELIVERY_SECS * 1000

    await first.die()
    died_at = time.monotonic()
    claimed_at, again = await second.next()
    assert again.data == b"job"
    bound = REDELIVERY_SECS + second.broker.reclaim_interval_secs + 0.5  # + scheduling slack
    assert claimed_at - died_at <= bound
    await again.ack()
    assert await pending_of(redis) == {} and not second.broker.held


async def test_the_broker_reads_on_after_redis_loses_its_data(
    redis: aioredis.Redis, start_worker: StartWorker, caplog: pytest.LogCaptureFixture
) -> None:
    worker = await start_worker()
    await redis.xadd(QUEUE_NAME, {"data": b"before"})
    _, before = await worker.next()

    await redis.flushall()
    await redis.xadd(QUEUE_NAME, {"data": b"after"})  # the app kicks a job into a new stream
    _, after = await worker.next()
    assert after.data == b"after"
    assert "consumer group is gone" in caplog.text

    await before.ack()  # a job read before the loss: nothing to acknowledge, and no error
    await after.ack()
    assert await pending_of(redis) == {}
    assert not worker.broker.held
