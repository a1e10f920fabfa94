"""What the evaluator is told by whoever starts it: the model to use and its time limits.

The evaluator never reads the environment or the server's settings; the worker entry point
(`server/operations/worker.py`) builds this from them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EvaluatorConfig:
    redis_url: str
    openai_api_key: str | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    timeout_secs: float = 120.0
    max_attempts: int = 3
    backoff_secs: float = 2.0
    requeue_secs: float = 60.0
    stuck_secs: float = 600.0
    watchdog_secs: float = 15.0
    task_redelivery_secs: float = 15.0
