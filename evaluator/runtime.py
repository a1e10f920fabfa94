"""What one worker process holds: Redis, the room engine (no fan-out), the evaluator, the job
runner and the watchdog. Built in the worker's startup hook, handed to tasks through taskiq's
state."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

import redis.asyncio as aioredis

from evaluator.jobs import EvaluationRunner, JobConfig
from evaluator.llm import MAX_BACKOFF_SECS, OpenAIEvaluator, RetryPolicy
from evaluator.pipeline import EvaluationQueue, broker_enqueue
from evaluator.rubric_evaluator import RubricEvaluator
from evaluator.watchdog import Watchdog
from rooms.engine import RoomEngine

if TYPE_CHECKING:
    from taskiq import AsyncBroker

    from evaluator.base import Evaluator
    from server.settings import Settings

log = logging.getLogger("interview_rooms.evaluator")

# A solution's lease lives this long without a heartbeat; short, so a dead worker's job can be
# resumed soon, but never longer than half the redelivery time, so a redelivered job rarely waits.
MAX_LEASE_SECS = 15.0
MIN_LEASE_SECS = 1.0
# Connections per worker process: jobs hold one only for a query or two at a time.
DB_POOL_SIZE = 20


def make_evaluator(settings: Settings) -> Evaluator:
    """The model when OPENAI_API_KEY is set, else the offline rubric evaluator."""
    if not settings.openai_api_key:
        return RubricEvaluator()
    policy = RetryPolicy(
        attempts=settings.evaluation_max_attempts,
        backoff_secs=settings.evaluation_backoff_secs,
        timeout_secs=settings.evaluation_timeout_secs,
    )
    return OpenAIEvaluator.from_settings(
        settings.openai_api_key, settings.openai_base_url, settings.openai_model, policy
    )


def lease_secs(settings: Settings) -> float:
    return min(MAX_LEASE_SECS, max(MIN_LEASE_SECS, settings.task_redelivery_secs / 2))


def max_job_secs(settings: Settings) -> float:
    """The longest one evaluation may run: every attempt timing out after the longest backoff."""
    per_attempt = settings.evaluation_timeout_secs + MAX_BACKOFF_SECS
    return settings.evaluation_max_attempts * per_attempt


class WorkerRuntime:
    def __init__(self, settings: Settings, broker: AsyncBroker) -> None:
        assert settings.redis_url, "the CLI resolves REDIS_URL before starting workers"
        self.settings = settings
        self.redis: aioredis.Redis = aioredis.Redis.from_url(settings.redis_url)
        self.engine = RoomEngine(self.redis)
        self.evaluator = make_evaluator(settings)
        self.queue = EvaluationQueue(
            broker_enqueue(broker), self.redis, settings.evaluation_requeue_secs
        )
        self.runner = EvaluationRunner(
            self.engine.rooms,
            self.redis,
            self.evaluator,
            JobConfig(lease_secs(settings), max_job_secs(settings)),
        )
        self.watchdog = Watchdog(
            self.engine.rooms,
            self.redis,
            self.queue,
            self.runner,
            settings.evaluation_watchdog_secs,
            settings.evaluation_stuck_secs,
        )
        self._watchdog_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        from server import db

        db.configure(self.settings.database_url or "")
        await db.start_pool(max_size=DB_POOL_SIZE)
        self._watchdog_task = asyncio.create_task(self.watchdog.run(), name="eval-watchdog")
        log.info("evaluation worker ready (evaluator: %s)", self.evaluator.label)

    async def stop(self) -> None:
        from server import db

        if self._watchdog_task is not None:
            self._watchdog_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog_task
        await self.evaluator.close()
        await self.redis.aclose()
        await db.close_pool()
