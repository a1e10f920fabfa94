"""`interview-rooms run`: one command for development.

Starts (or reuses) the database and Redis, applies migrations, loads the question bank, then runs
the app and a worker as child processes and keeps them running: a child that exits is started
again after a back-off (`Backoff`: 1 s, doubling to 30 s, back to 1 s once it has run for a
minute), and every exit and restart is logged with the exit code. A child that fails its very
first start with exit code 3 (a taken port, a start-up that failed) would fail the same way
again: `run` stops and exits 1. Ctrl-C (or SIGTERM) stops the children, then the servers this
command started; the kernel signals every child if this process itself is killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from server.operations.bootstrap import resolved, with_db
from server.operations.credentials import redact_url
from server.operations.embedded import _die_with_parent
from server.operations.serving import EXIT_STARTUP_FAILURE, SHUTDOWN_GRACE_SECS

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable

    from server.settings import Settings

log = logging.getLogger("interview_rooms")
# A child stops by itself within its grace (the app exits 1 past it); only one that does not
# is killed.
CHILD_STOP_TIMEOUT_SECS = SHUTDOWN_GRACE_SECS + 2.0
# A crash is usually one-off (a killed process, a dependency that blipped): retry soon.
RESTART_FIRST_SECS = 1.0
# A child crashing in a loop is retried twice a minute, not spun on.
RESTART_MAX_SECS = 30.0
# A child up this long is healthy again: its next crash restarts it after RESTART_FIRST_SECS.
RESTART_RESET_SECS = 60.0
# How often the children are looked at; also how soon Ctrl-C is noticed.
POLL_SECS = 0.2


@dataclass
class Backoff:
    """The delays between the restarts of one child, from how long each run lasted."""

    first_secs: float = RESTART_FIRST_SECS
    max_secs: float = RESTART_MAX_SECS
    reset_after_secs: float = RESTART_RESET_SECS
    _next_secs: float = field(init=False)

    def __post_init__(self) -> None:
        self._next_secs = self.first_secs

    def delay(self, uptime_secs: float) -> float:
        """The delay before restarting a child that exited after running `uptime_secs`."""
        if uptime_secs >= self.reset_after_secs:
            self._next_secs = self.first_secs
        delay = self._next_secs
        self._next_secs = min(delay * 2, self.max_secs)
        return delay


class Process(Protocol):
    """What the supervisor needs of a child (`subprocess.Popen`, or a test's fake)."""

    @property
    def pid(self) -> int: ...

    def poll(self) -> int | None: ...

    def send_signal(self, sig: int) -> None: ...

    def wait(self, timeout: float | None = None) -> int: ...

    def kill(self) -> None: ...


def describe_exit(code: int) -> str:
    """`code 1`, or `code -9 (SIGKILL)` for a child a signal ended."""
    if code < 0:
        try:
            return f"code {code} ({signal.Signals(-code).name})"
        except ValueError:
            pass
    return f"code {code}"


@dataclass
class Child:
    name: str
    args: list[str]
    process: Process
    started_at: float
    backoff: Backoff = field(default_factory=Backoff)
    restart_at: float | None = None  # set while it waits out its back-off
    restarts: int = 0


class Supervisor:
    """Keeps named children running; `spawn` starts one from its CLI arguments."""

    def __init__(
        self,
        spawn: Callable[[list[str]], Process],
        reap: Callable[[Process], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`reap` ends what an exited child left behind (the worker's own processes)."""
        self._spawn, self._reap, self._clock = spawn, reap, clock
        self.children: list[Child] = []

    def start(self, name: str, args: list[str]) -> None:
        self.children.append(Child(name, args, self._spawn(args), self._clock()))

    def check(self) -> str | None:
        """Schedules the restart of children that exited and restarts those due; the reason
        to give up, if a child cannot start at all."""
        now = self._clock()
        for child in self.children:
            if child.restart_at is None:
                code = child.process.poll()
                if code is None:
                    continue
                if code == EXIT_STARTUP_FAILURE and child.restarts == 0:
                    return f"{child.name} could not start (exit {describe_exit(code)})"
                self._schedule(child, code, now)
            elif now >= child.restart_at:
                self._restart(child, now)
        return None

    def _restart(self, child: Child, now: float) -> None:
        child.process, child.started_at, child.restart_at = self._spawn(child.args), now, None
        child.restarts += 1
        pid = child.process.pid
        log.warning("%s restarted (pid %d, restart %d)", child.name, pid, child.restarts)

    def _schedule(self, child: Child, code: int, now: float) -> None:
        self._reap(child.process)
        uptime = now - child.started_at
        delay = child.backoff.delay(uptime)
        child.restart_at = now + delay
        log.warning(
            "%s (pid %d) exited with %s after %.1f s; restarting in %.0f s",
            child.name,
            child.process.pid,
            describe_exit(code),
            uptime,
            delay,
        )

    def run(self, stopping: Callable[[], bool], sleep: Callable[[float], None] = time.sleep) -> str:
        """Supervises until `stopping()`; returns why it stopped."""
        while not stopping():
            failure = self.check()
            if failure is not None:
                return failure
            sleep(POLL_SECS)
        return ""

    def stop(self) -> None:
        """SIGTERM to every running child; kills one still running past its grace."""
        running = [child.process for child in self.children if child.process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = self._clock() + CHILD_STOP_TIMEOUT_SECS
        for process in running:
            try:
                process.wait(max(0.1, deadline - self._clock()))
            except subprocess.TimeoutExpired:
                log.warning("pid %d did not stop in time; killing it", process.pid)
                process.kill()
                process.wait()
        for child in self.children:
            self._reap(child.process)


def _prepare() -> None:
    from server.operations import db
    from server.operations.seed import seed

    async def migrate_and_seed() -> None:
        await db.migrate()
        await seed()

    asyncio.run(with_db(migrate_and_seed))


def _spawner(env: dict[str, str]) -> Callable[[list[str]], Process]:
    def spawn(args: list[str]) -> Process:
        return subprocess.Popen(  # noqa: S603 - our own CLI
            [sys.executable, "-m", "server.operations.cli", *args],
            env=env,
            preexec_fn=_die_with_parent,
            # A group of its own: Ctrl-C reaches this process alone, which stops the children
            # in order; and what a child leaves behind when it dies can be found (`_reap`).
            process_group=0,
        )

    return spawn


def _reap(process: Process) -> None:
    """Kills what is left of an exited child's group: a SIGKILLed taskiq parent leaves its
    worker process running (and taking jobs) until Redis goes away."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def supervise(settings: Settings, args: argparse.Namespace) -> int:
    stopping = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    with resolved(settings) as ready:
        _prepare()
        env = {
            **os.environ,
            "DATABASE_URL": ready.database_url or "",
            "REDIS_URL": ready.redis_url or "",
        }
        # The URLs carry the servers' passwords (the embedded ones' or the operator's).
        log.info("database %s", redact_url(ready.database_url or ""))
        log.info("redis    %s", redact_url(ready.redis_url or ""))
        log.info("data in  %s", ready.data_dir)
        supervisor = Supervisor(_spawner(env), _reap)
        supervisor.start("app", ["serve"])
        supervisor.start("worker", ["worker", "--workers", str(args.workers)])
        log.info("open http://%s:%d  (Ctrl-C stops everything)", ready.host, ready.port)
        failure = supervisor.run(lambda: stopping)
        if failure:
            log.error("%s; stopping", failure)
        else:
            log.info("stopping")
        supervisor.stop()
    return 1 if failure else 0
