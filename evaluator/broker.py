"""The taskiq broker: a Redis stream with a consumer group, acknowledged, at-least-once."""

from __future__ import annotations

from taskiq_redis import RedisStreamBroker

QUEUE_NAME = "interview_rooms:tasks"
CONSUMER_GROUP = "interview_rooms:workers"
# A worker that dies mid-job leaves its message pending; after this long another worker claims it.
# Longer than the slowest evaluation we allow (model timeout x retries), so live jobs aren't stolen.
UNACKED_LOCK_TIMEOUT_SECS = 300.0
# Pending messages older than this are handed to a live consumer on its next read.
IDLE_TIMEOUT_MS = 300_000
# Bounded stream: acknowledged jobs are trimmed; 10k is days of submissions for one instance.
STREAM_MAXLEN = 10_000


def create_broker(redis_url: str) -> RedisStreamBroker:
    return RedisStreamBroker(
        redis_url,
        queue_name=QUEUE_NAME,
        consumer_group_name=CONSUMER_GROUP,
        maxlen=STREAM_MAXLEN,
        idle_timeout=IDLE_TIMEOUT_MS,
        unacknowledged_lock_timeout=UNACKED_LOCK_TIMEOUT_SECS,
    )
