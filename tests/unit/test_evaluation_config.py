"""Evaluation settings (validated at start-up) and the retry policy's backoff."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from evaluator.broker import MIN_RECLAIM_INTERVAL_SECS, create_broker
from evaluator.llm import MAX_BACKOFF_SECS, RetryPolicy
from evaluator.runtime import lease_secs, max_job_secs
from server.settings import SettingsError, load_settings

if TYPE_CHECKING:
    from evaluator.config import EvaluatorConfig


def env(tmp_path: Path, **values: str) -> dict[str, str]:
    return {"DATA_DIR": str(tmp_path), **values}


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings(env(tmp_path))
    assert settings.task_redelivery_secs == 15 and settings.evaluation_max_attempts == 3
    assert settings.evaluation_stuck_secs >= settings.task_redelivery_secs
    assert settings.evaluator_label == "rubric"
    assert (
        load_settings(env(tmp_path, OPENAI_API_KEY="sk-x", OPENAI_MODEL="m1")).evaluator_label
        == "openai:m1"
    )


@pytest.mark.parametrize(
    ("values", "name"),
    [
        ({"TASK_REDELIVERY_SECS": "0"}, "TASK_REDELIVERY_SECS"),
        ({"EVALUATION_TIMEOUT_SECS": "soon"}, "EVALUATION_TIMEOUT_SECS"),
        ({"EVALUATION_MAX_ATTEMPTS": "11"}, "EVALUATION_MAX_ATTEMPTS"),
        ({"EVALUATION_BACKOFF_SECS": "-1"}, "EVALUATION_BACKOFF_SECS"),
        ({"EVALUATION_REQUEUE_SECS": "0"}, "EVALUATION_REQUEUE_SECS"),
        ({"EVALUATION_WATCHDOG_SECS": "0"}, "EVALUATION_WATCHDOG_SECS"),
        ({"TASK_REDELIVERY_SECS": "60", "EVALUATION_STUCK_SECS": "30"}, "EVALUATION_STUCK_SECS"),
    ],
)
def test_bad_values_name_the_variable(tmp_path: Path, values: dict[str, str], name: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings(env(tmp_path, **values))


def config(tmp_path: Path, **values: str) -> EvaluatorConfig:
    return load_settings(
        env(tmp_path, REDIS_URL="redis://127.0.0.1:1/0", **values)
    ).evaluator_config()


@pytest.mark.parametrize("redelivery", ["1", "15", "300"])
def test_the_lease_and_the_stream_entry_go_stale_together(tmp_path: Path, redelivery: str) -> None:
    """A job claimed from a dead worker finds its lease expired too, so it takes over at once."""
    settings = config(tmp_path, TASK_REDELIVERY_SECS=redelivery)
    broker = create_broker(settings.redis_url, settings.task_redelivery_secs)
    assert lease_secs(settings) == float(redelivery) == broker.idle_timeout / 1000
    assert broker.heartbeat_secs == float(redelivery) / 3, "three beats per lease"
    assert broker.reclaim_interval_secs <= float(redelivery) / 6 or (
        broker.reclaim_interval_secs == MIN_RECLAIM_INTERVAL_SECS
    )


def test_a_job_is_bounded_by_its_attempts_timeouts_and_backoffs(tmp_path: Path) -> None:
    job = config(tmp_path, EVALUATION_MAX_ATTEMPTS="3", EVALUATION_TIMEOUT_SECS="120")
    assert max_job_secs(job) == 3 * (120 + MAX_BACKOFF_SECS)


@pytest.mark.parametrize(
    ("attempt", "retry_after", "low", "high"),
    [
        (2, None, 0.8, 1.2),
        (3, None, 1.6, 2.4),
        (4, None, 3.2, 4.8),
        (20, None, 0.8 * MAX_BACKOFF_SECS, MAX_BACKOFF_SECS),
        (2, 5.0, 5.0, 5.0),  # Retry-After wins when longer
        (2, 600.0, MAX_BACKOFF_SECS, MAX_BACKOFF_SECS),  # but is capped
    ],
)
def test_backoff_doubles_with_jitter_and_is_capped(
    attempt: int, retry_after: float | None, low: float, high: float
) -> None:
    policy = RetryPolicy(attempts=5, backoff_secs=1.0, timeout_secs=10)
    for _ in range(20):
        assert low <= policy.delay(attempt, retry_after) <= high
