"""A bounded teardown: steps taken in order within one budget, none of them able to hold up the
rest. A step that overruns is logged and left behind, so the pools after it still close and the
process ends within its shutdown grace (`serving.SHUTDOWN_GRACE_SECS`)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Awaitable, Collection

log = logging.getLogger("interview_rooms")
# However late the teardown is, a step gets this long: closing a pool is quick, and must run.
STEP_MIN_SECS = 0.2


class Teardown:
    def __init__(self, budget_secs: float) -> None:
        self._loop = asyncio.get_running_loop()
        self._deadline = self._loop.time() + budget_secs
        self._steps: set[asyncio.Future[object]] = set()  # never counted among `settle`'s tasks

    def _left(self) -> float:
        return max(self._deadline - self._loop.time(), STEP_MIN_SECS)

    async def step(self, name: str, work: Awaitable[object]) -> bool:
        """Awaits `work` for what is left of the budget; False if it had to be left running."""
        task = asyncio.ensure_future(work)
        self._steps.add(task)
        timeout = self._left()
        done, _ = await asyncio.wait({task}, timeout=timeout)
        if not done:
            log.warning("stopping %s took over %.1f s; going on without it", name, timeout)
            return False
        if not task.cancelled() and task.exception() is not None:
            log.warning("stopping %s failed: %r", name, task.exception())
        return True

    async def settle(self, name: str, tasks: Collection[asyncio.Task[object]]) -> None:
        """Lets `tasks` finish within the budget, then cancels the rest and waits briefly."""
        tasks = set(tasks) - self._steps
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=self._left())
        if pending:
            for task in pending:
                task.cancel()
            _, pending = await asyncio.wait(pending, timeout=STEP_MIN_SECS)
        if pending:
            log.warning("%d %s still running after being cancelled", len(pending), name)


async def cancelled(task: asyncio.Task[None] | None) -> None:
    """Cancels `task` and waits until it has stopped."""
    if task is not None:
        task.cancel()
        await asyncio.wait({task})
