"""The taskiq broker: a Redis stream with a consumer group, acknowledged, at-least-once.

What `EvaluationBroker` adds to taskiq-redis 1.2's `RedisStreamBroker` (kick, ack and the
consumer group are the library's):
- **A heartbeat on the jobs a worker holds.** Every job it has read and not yet acknowledged is
  claimed again by it every third of the redelivery time (`lua/stream_touch.lua`, XCLAIM
  JUSTID), which resets the entry's idle time. So an entry idle past the redelivery time is one
  whose worker stopped beating, and the redelivery time can be short (15 s) without offering
  live jobs to a second worker.
- **Reclaiming on a timer**, whether or not new jobs arrived: the library looks for a dead
  worker's jobs only after a read returned new ones, so on a quiet queue they would wait for the
  next submission.
- **Surviving Redis losing its data** (FLUSHALL, a restart without persistence, a failover to an
  empty replica): reads then answer NOGROUP (or UNBLOCKED); the group is created again, from the
  start of the stream so jobs kicked since the loss are read, and the worker goes on. Acks and
  heartbeats of jobs read before the loss find nothing to act on (the jobs themselves run on
  under their leases). While Redis cannot be reached at all, the worker waits and retries
  instead of ending.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from taskiq import AckableMessage
from taskiq_redis import RedisStreamBroker

from evaluator.leases import lua_script

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Awaitable, Callable

log = logging.getLogger("interview_rooms.evaluator")

QUEUE_NAME = "interview_rooms:tasks"
CONSUMER_GROUP = "interview_rooms:workers"
# A job whose worker stopped beating is offered to another worker after this long (the
# evaluation lease has the same TTL). The production default is TASK_REDELIVERY_SECS.
DEFAULT_REDELIVERY_SECS = 15.0
# A held job's entry is touched this many times per redelivery time: one late heartbeat does
# not make a live job look abandoned.
HEARTBEATS_PER_REDELIVERY = 3
# How often a worker looks for jobs a dead worker left: a sixth of the redelivery time (2.5 s
# by default), so a job is picked up soon after it becomes claimable; within these bounds.
RECLAIMS_PER_REDELIVERY = 6
MIN_RECLAIM_INTERVAL_SECS = 0.5
MAX_RECLAIM_INTERVAL_SECS = 10.0
# Bounded stream: acknowledged jobs are trimmed; 10k is days of submissions for one instance.
STREAM_MAXLEN = 10_000
# A blocking read returns at least this often, so reclaiming keeps to its interval.
READ_BLOCK_MS = 1000
# Redis unreachable: try again after this long (each failed try is one log line).
REDIS_RETRY_SECS = 1.0

_Entries = list[tuple[bytes, dict[bytes, bytes]]]  # stream entries: (id, fields)


def is_stream_lost(exc: ResponseError) -> bool:
    """The stream or its consumer group does not exist (any more): NOGROUP, or, for a read that
    was blocked when the key went, Redis 7.0's UNBLOCKED."""
    message = str(exc)
    return "NOGROUP" in message or message.startswith("UNBLOCKED")


class EvaluationBroker(RedisStreamBroker):
    def __init__(self, url: str, redelivery_secs: float, **kwargs: Any) -> None:
        super().__init__(
            url,
            queue_name=QUEUE_NAME,
            consumer_group_name=CONSUMER_GROUP,
            maxlen=STREAM_MAXLEN,
            idle_timeout=int(redelivery_secs * 1000),
            unacknowledged_lock_timeout=redelivery_secs,
            xread_block=READ_BLOCK_MS,
            **kwargs,
        )
        self.heartbeat_secs = redelivery_secs / HEARTBEATS_PER_REDELIVERY
        self.reclaim_interval_secs = min(
            MAX_RECLAIM_INTERVAL_SECS,
            max(MIN_RECLAIM_INTERVAL_SECS, redelivery_secs / RECLAIMS_PER_REDELIVERY),
        )
        # Entries this worker has read and not yet acknowledged: what its heartbeat keeps.
        self.held: set[str] = set()

    async def listen(self) -> AsyncGenerator[AckableMessage, None]:
        """New jobs as they come, and every interval the jobs idle past the redelivery time."""
        heartbeat = asyncio.create_task(self._heartbeat(), name="task-stream-heartbeat")
        try:
            async with Redis(connection_pool=self.connection_pool) as redis:
                reclaimed_at = time.monotonic()
                while True:
                    reclaim = time.monotonic() - reclaimed_at >= self.reclaim_interval_secs
                    if reclaim:
                        reclaimed_at = time.monotonic()
                    for message in await self._next_batch(redis, reclaim):
                        yield message
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    async def _next_batch(self, redis: Redis, reclaim: bool) -> list[AckableMessage]:
        """New jobs, and the claimable ones if `reclaim`; none while Redis is being recovered."""
        entries = await self._guarded(redis, self._read)
        if reclaim:
            entries += await self._guarded(redis, self._reclaim)
        return [self._message(entry_id, fields) for entry_id, fields in entries]

    async def _guarded(
        self, redis: Redis, step: Callable[[Redis], Awaitable[_Entries]]
    ) -> _Entries:
        """One step of the read loop; a lost stream or an unreachable Redis yields nothing."""
        try:
            return await step(redis)
        except ResponseError as exc:
            if not is_stream_lost(exc):
                raise
            await self._recreate_group(redis)
        except (RedisConnectionError, RedisTimeoutError) as exc:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                # redis-py may report a read it was cancelled in as a connection error: the
                # listener is being stopped, not failing, so it stops.
                raise asyncio.CancelledError from exc
            log.warning("task stream unreachable (%s); retrying in %.0f s", exc, REDIS_RETRY_SECS)
            await asyncio.sleep(REDIS_RETRY_SECS)
        return []

    async def _read(self, redis: Redis) -> _Entries:
        fetched: list[tuple[bytes, _Entries]] = await redis.xreadgroup(  # type: ignore[assignment]
            self.consumer_group_name,
            self.consumer_name,
            {self.queue_name: ">"},
            block=self.block,
            count=self.count,
        )
        return [entry for _, entries in fetched or [] for entry in entries]

    async def _reclaim(self, redis: Redis) -> _Entries:
        """Claims jobs idle longer than the redelivery time (XAUTOCLAIM is atomic per entry)."""
        reply = await redis.xautoclaim(
            self.queue_name,
            self.consumer_group_name,
            self.consumer_name,
            min_idle_time=self.idle_timeout,
            count=self.unacknowledged_batch_size,
        )
        return [(entry_id, fields) for entry_id, fields in reply[1] if fields]

    async def _recreate_group(self, redis: Redis) -> None:
        log.warning(
            "the task stream's consumer group is gone (Redis lost its data?); creating it again"
        )
        try:
            # From the start: the app may have kicked jobs into the new stream already.
            await redis.xgroup_create(
                self.queue_name, self.consumer_group_name, id="0", mkstream=True
            )
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):  # another worker was first: fine
                raise

    async def _heartbeat(self) -> None:
        async with Redis(connection_pool=self.connection_pool) as redis:
            touch = lua_script(redis, "stream_touch")
            while True:
                await asyncio.sleep(self.heartbeat_secs)
                held = sorted(self.held)
                if not held:
                    continue
                try:
                    args = [self.consumer_group_name, self.consumer_name, *held]
                    kept = {raw.decode() for raw in await touch(keys=[self.queue_name], args=args)}
                except ResponseError as exc:
                    if not is_stream_lost(exc):
                        log.exception("task stream heartbeat failed; will retry")
                        continue
                    kept = set()  # the entries went with the stream; the jobs run on
                except Exception:
                    log.exception("task stream heartbeat failed; will retry")
                    continue
                if gone := set(held) - kept:
                    log.warning("jobs %s are no longer this worker's to hold", sorted(gone))
                    self.held -= gone

    def _message(self, entry_id: bytes, fields: dict[bytes, bytes]) -> AckableMessage:
        held = entry_id.decode()
        self.held.add(held)
        return AckableMessage(data=fields[b"data"], ack=self._ack_generator(held, self.queue_name))

    def _ack_generator(self, id: str, queue_name: str) -> Callable[[], Awaitable[None]]:
        async def ack() -> None:
            try:
                async with Redis(connection_pool=self.connection_pool) as redis:
                    await redis.xack(queue_name, self.consumer_group_name, id)
            except ResponseError as exc:
                if not is_stream_lost(exc):
                    raise
                log.info("job %s was lost with the task stream; nothing to acknowledge", id)
            finally:
                self.held.discard(id)

        return ack


def create_broker(
    redis_url: str, redelivery_secs: float = DEFAULT_REDELIVERY_SECS
) -> EvaluationBroker:
    return EvaluationBroker(redis_url, redelivery_secs)


async def queue_depth(redis: Redis) -> dict[str, Any]:
    """The task stream and its consumer group: how much waits and how many workers read it."""
    length = await redis.xlen(QUEUE_NAME)
    groups = (
        await redis.xinfo_groups(QUEUE_NAME) if length or await redis.exists(QUEUE_NAME) else []
    )
    group = next((g for g in groups if g["name"] == CONSUMER_GROUP.encode()), None)
    return {
        "queue": QUEUE_NAME,
        "backlog": length,
        "consumers": int(group["consumers"]) if group else 0,
        "pending": int(group["pending"]) if group else 0,
    }
