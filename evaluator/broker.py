"""The taskiq broker: a Redis stream with a consumer group, acknowledged, at-least-once.

taskiq-redis 1.2's `RedisStreamBroker.listen` only looks for a dead worker's unacknowledged
jobs after a read returned new ones, so on a quiet queue a job whose worker was killed would wait
for the next submission. `EvaluationBroker` reclaims on a timer instead, whether or not new jobs
arrived; everything else (kick, ack, the consumer group) is the library's.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from redis.asyncio import Redis
from taskiq import AckableMessage
from taskiq_redis import RedisStreamBroker

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

QUEUE_NAME = "interview_rooms:tasks"
CONSUMER_GROUP = "interview_rooms:workers"
# A worker that dies mid-job leaves its message pending; after this long another worker claims it.
# Longer than a normal evaluation, so live jobs are rarely offered twice; a copy of a live job only
# stands by (the job's lease) and takes over if the first worker dies.
UNACKED_LOCK_TIMEOUT_SECS = 300.0
# Bounded stream: acknowledged jobs are trimmed; 10k is days of submissions for one instance.
STREAM_MAXLEN = 10_000
# How often a worker looks for jobs a dead worker left; a fraction of the redelivery time so a
# job is picked up soon after it becomes claimable, never more often than this floor.
MIN_RECLAIM_INTERVAL_SECS = 0.5
MAX_RECLAIM_INTERVAL_SECS = 10.0
# A blocking read returns at least this often, so reclaiming keeps to its interval.
READ_BLOCK_MS = 1000

_Entries = list[tuple[bytes, dict[bytes, bytes]]]  # stream entries: (id, fields)


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
        self.reclaim_interval_secs = min(
            MAX_RECLAIM_INTERVAL_SECS, max(MIN_RECLAIM_INTERVAL_SECS, redelivery_secs / 4)
        )

    async def listen(self) -> AsyncGenerator[AckableMessage, None]:
        """New jobs as they come, and every interval the jobs idle past the redelivery time."""
        async with Redis(connection_pool=self.connection_pool) as redis:
            reclaimed_at = time.monotonic()
            while True:
                fetched: list[tuple[bytes, _Entries]] = await redis.xreadgroup(  # type: ignore[assignment]
                    self.consumer_group_name,
                    self.consumer_name,
                    {self.queue_name: ">"},
                    block=self.block,
                    count=self.count,
                )
                for stream, entries in fetched or []:
                    for entry_id, fields in entries:
                        yield self._message(stream, entry_id, fields)
                if time.monotonic() - reclaimed_at >= self.reclaim_interval_secs:
                    reclaimed_at = time.monotonic()
                    for entry_id, fields in await self._reclaim(redis):
                        yield self._message(self.queue_name, entry_id, fields)

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

    def _message(
        self, stream: str | bytes, entry_id: bytes, fields: dict[bytes, bytes]
    ) -> AckableMessage:
        name = stream.decode() if isinstance(stream, bytes) else stream
        ack = self._ack_generator(entry_id.decode(), name)
        return AckableMessage(data=fields[b"data"], ack=ack)


def create_broker(
    redis_url: str, redelivery_secs: float = UNACKED_LOCK_TIMEOUT_SECS
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
