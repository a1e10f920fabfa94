"""What one worker process holds: Redis, the room engine (no fan-out), the evaluator, the job
runner and the watchdog. Built in the worker's startup hook (`server/operations/worker.py`),
which hands in its configuration and a started database pool; tasks find it in taskiq's state."""

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
from evaluator.stats import ProgressStore
from evaluator.store import EvaluationStore
from evaluator.watchdog import Watchdog
from rooms.engine import RoomEngine

if TYPE_CHECKING:
    from collections.abc import Callable

    import asyncpg
    from taskiq import AsyncBroker

    from evaluator.base import Evaluator
    from evaluator.config import EvaluatorConfig

log = logging.getLogger("interview_rooms.evaluator")

# A solution's lease lives as long as the broker's redelivery time without a heartbeat: the
# job's stream entry and its lease go stale together, so the worker that claims a dead worker's
# job finds the lease free (or within a heartbeat of it) and takes the evaluation over.
MIN_LEASE_SECS = 1.0


def make_evaluator(config: EvaluatorConfig) -> Evaluator:
    """The model when OPENAI_API_KEY is set, else the offline rubric evaluator."""
    if not config.openai_api_key:
        return RubricEvaluator()
    policy = RetryPolicy(
        attempts=config.max_attempts,
        backoff_secs=config.backoff_secs,
        timeout_secs=config.timeout_secs,
    )
    return OpenAIEvaluator.from_settings(
        config.openai_api_key, config.openai_base_url, config.openai_model, policy
    )


def lease_secs(config: EvaluatorConfig) -> float:
    return max(MIN_LEASE_SECS, config.task_redelivery_secs)


def max_job_secs(config: EvaluatorConfig) -> float:
    """The longest one evaluation may run: every attempt timing out after the longest backoff."""
    per_attempt = config.timeout_secs + MAX_BACKOFF_SECS
    return config.max_attempts * per_attempt


class WorkerRuntime:
    """Built by the worker entry point with its configuration and a started database pool."""

    def __init__(
        self, config: EvaluatorConfig, broker: AsyncBroker, pool: Callable[[], asyncpg.Pool]
    ) -> None:
        self.config = config
        self.redis: aioredis.Redis = aioredis.Redis.from_url(config.redis_url)
        self.engine = RoomEngine(self.redis, pool)
        self.evaluator = make_evaluator(config)
        self.queue = EvaluationQueue(broker_enqueue(broker), self.redis, config.requeue_secs)
        self.runner = EvaluationRunner(
            self.engine.rooms,
            self.redis,
            self.evaluator,
            JobConfig(lease_secs(config), max_job_secs(config)),
            (EvaluationStore(pool), ProgressStore(pool)),
        )
        self.watchdog = Watchdog(
            self.engine.rooms,
            self.redis,
            self.queue,
            self.runner,
            config.watchdog_secs,
            config.stuck_secs,
        )
        self._watchdog_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._watchdog_task = asyncio.create_task(self.watchdog.run(), name="eval-watchdog")
        log.info("evaluation worker ready (evaluator: %s)", self.evaluator.label)

    async def stop(self) -> None:
        if self._watchdog_task is not None:
            self._watchdog_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog_task
        await self.evaluator.close()
        await self.redis.aclose()
