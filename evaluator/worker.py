"""The worker entry module: `taskiq worker evaluator.worker:broker` (`interview-rooms worker`).

The worker process inherits DATABASE_URL and REDIS_URL from the CLI, which resolved them; the
other settings (OpenAI, timeouts, redelivery) come from the same environment.
"""

from __future__ import annotations

import logging

from taskiq import TaskiqEvents, TaskiqState

from evaluator.broker import create_broker
from evaluator.runtime import WorkerRuntime
from evaluator.tasks import register
from server.settings import load_settings

settings = load_settings()
assert settings.redis_url, "the CLI exports REDIS_URL before starting workers"
broker = create_broker(settings.redis_url, settings.task_redelivery_secs)
register(broker)
# One line per model request is noise at INFO; failures are logged by the evaluator.
logging.getLogger("httpx2").setLevel(logging.WARNING)


@broker.on_event(TaskiqEvents.WORKER_STARTUP)
async def _startup(state: TaskiqState) -> None:
    state.evaluations = WorkerRuntime(settings, broker)
    await state.evaluations.start()


@broker.on_event(TaskiqEvents.WORKER_SHUTDOWN)
async def _shutdown(state: TaskiqState) -> None:
    await state.evaluations.stop()
