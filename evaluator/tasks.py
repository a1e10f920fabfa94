"""The taskiq task: `evaluate_solution(session_id)`, run by `interview-rooms worker`.

The app enqueues it by name (`evaluator.pipeline.EVALUATE_TASK`), so the app never imports the
worker. Its dependencies come from the worker's runtime through taskiq's state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from taskiq import Context, TaskiqDepends

from evaluator.pipeline import EVALUATE_TASK

if TYPE_CHECKING:
    from taskiq import AsyncBroker

    from evaluator.runtime import WorkerRuntime


async def evaluate_solution(session_id: str, context: Annotated[Context, TaskiqDepends()]) -> None:
    runtime: WorkerRuntime = context.state.evaluations
    await runtime.runner.run(session_id)


def register(broker: AsyncBroker) -> Any:
    return broker.register_task(evaluate_solution, task_name=EVALUATE_TASK)
