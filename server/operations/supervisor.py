"""`interview-rooms run`: one command for development.

Starts (or reuses) the database and Redis, applies migrations, loads the question bank, then runs
the app and a worker as child processes. Ctrl-C (or SIGTERM) stops the children, then the servers
this command started; the kernel signals every child if this process itself is killed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING

from server.operations.bootstrap import resolved, with_db
from server.operations.credentials import redact_url
from server.operations.embedded import _die_with_parent

if TYPE_CHECKING:
    import argparse

    from server.settings import Settings

log = logging.getLogger("interview_rooms")
# uvicorn drains open WebSockets on shutdown; past this a child is killed.
CHILD_STOP_TIMEOUT_SECS = 10.0


def _prepare() -> None:
    from server.operations import db
    from server.operations.seed import seed

    async def migrate_and_seed() -> None:
        await db.migrate()
        await seed()

    asyncio.run(with_db(migrate_and_seed))


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "server.operations.cli", *args],
        env=env,
        preexec_fn=_die_with_parent,
    )


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + CHILD_STOP_TIMEOUT_SECS
    for child in children:
        try:
            child.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("pid %d did not stop in time; killing it", child.pid)
            child.kill()
            child.wait()


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
        children = [_spawn(["serve"], env), _spawn(["worker", "--workers", str(args.workers)], env)]
        log.info("open http://%s:%d  (Ctrl-C stops everything)", ready.host, ready.port)
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.2)
        exited = [child for child in children if child.poll() is not None]
        log.info("stopping" if stopping else f"a child exited ({exited[0].args!r}); stopping")
        _stop(children)
    return 0 if stopping else 1
