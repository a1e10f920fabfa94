"""The worker entry module: `taskiq worker server.operations.worker:broker`
(`interview-rooms worker`).

The worker process inherits DATABASE_URL and REDIS_URL from the CLI, which resolved them; the
other settings (OpenAI, timeouts, redelivery) come from the same environment and reach the
evaluator as its own configuration (`Settings.evaluator_config`).
"""

from __future__ import annotations

import logging

from taskiq import TaskiqEvents, TaskiqState

from evaluator.broker import create_broker
from evaluator.runtime import WorkerRuntime
from evaluator.tasks import register
from server.operations import db
from server.settings import load_settings

# Connections per worker process: jobs hold one only for a query or two at a time.
DB_POOL_SIZE = 20


settings = load_settings()
config = settings.evaluator_config()
broker = create_broker(config.redis_url, config.task_redelivery_secs)
register(broker)
# One line per model request is noise at INFO; failures are logged by the evaluator.
logging.getLogger("httpx2").setLevel(logging.WARNING)


@broker.on_event(TaskiqEvents.WORKER_STARTUP)
async def _startup(state: TaskiqState) -> None:
    db.configure(settings.database_url or "")
    await db.start_pool(max_size=DB_POOL_SIZE)
    state.evaluations = WorkerRuntime(config, broker, db.pool)
    await state.evaluations.start()


@broker.on_event(TaskiqEvents.WORKER_SHUTDOWN)
async def _shutdown(state: TaskiqState) -> None:
    await state.evaluations.stop()
    await db.close_pool()
