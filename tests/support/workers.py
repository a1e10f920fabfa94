"""`interview-rooms worker` subprocesses for end-to-end tests: start, wait ready, kill hard."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import psutil

from tests.support.servers import AppProcess

READY_LINE = "evaluation worker ready"


def start_worker(env: dict[str, str], log_dir: Path, timeout: float = 30.0) -> AppProcess:
    """A worker (taskiq manager + one worker process) whose startup hook has finished."""
    env = {**env, "LOG_LEVEL": "info"}  # the ready line is logged at INFO
    worker = AppProcess(env=env, command="worker", args=["--workers", "1"]).start(log_dir)
    deadline = time.monotonic() + timeout
    while READY_LINE not in worker.log():
        assert worker.process is not None
        if worker.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"worker not ready:\n{worker.log()}")
        time.sleep(0.05)
    return worker


def kill_hard(worker: AppProcess) -> None:
    """SIGKILL the worker processes and their manager at once, as a machine dying would."""
    assert worker.process is not None
    manager = psutil.Process(worker.process.pid)
    # The manager first, so it cannot start a replacement for the worker killed next.
    for process in [manager, *manager.children(recursive=True)]:
        process.send_signal(signal.SIGKILL)
    worker.process.wait(10)
