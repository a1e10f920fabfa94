"""The worker entry module: `taskiq worker evaluator.worker:broker` (`interview-rooms worker`).

The worker process inherits DATABASE_URL and REDIS_URL from the CLI, which resolved them.
"""

from __future__ import annotations

import os

from taskiq import TaskiqEvents, TaskiqState

from evaluator.broker import create_broker

broker = create_broker(os.environ["REDIS_URL"])


@broker.on_event(TaskiqEvents.WORKER_STARTUP)
async def _startup(_: TaskiqState) -> None:
    from server import db

    db.configure(os.environ["DATABASE_URL"])
    await db.start_pool(max_size=10)


@broker.on_event(TaskiqEvents.WORKER_SHUTDOWN)
async def _shutdown(_: TaskiqState) -> None:
    from server import db

    await db.close_pool()
