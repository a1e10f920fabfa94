"""Database engine lifecycle and migrations (Piccolo over asyncpg)."""

from __future__ import annotations

import contextlib
import io
import logging
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncpg
    from piccolo.engine.postgres import PostgresEngine

log = logging.getLogger("interview_rooms.db")
PICCOLO_CONF = "server.operations.piccolo_conf"


def configure(database_url: str) -> None:
    """Points Piccolo at this database; must run before any table is used."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["PICCOLO_CONF"] = PICCOLO_CONF


def engine() -> PostgresEngine:
    from piccolo.engine.finder import engine_finder

    found = engine_finder()
    assert found is not None, "server.operations.piccolo_conf defines DB"
    return found  # type: ignore[return-value]


def pool() -> asyncpg.Pool:
    """The started connection pool, handed to `rooms` and `evaluator` (they never find it)."""
    found = engine().pool
    assert found is not None, "the database pool is started by the app or worker"
    return found


async def start_pool(max_size: int = 20) -> None:
    await engine().start_connection_pool(min_size=1, max_size=max_size)


async def close_pool() -> None:
    await engine().close_connection_pool()


async def migrate() -> None:
    """Applies every migration not yet applied; safe to run on every start."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    # Piccolo prints its progress; keep it out of the server's log unless it fails.
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = await run_forwards("interview_rooms")
    if not result.success:
        raise RuntimeError(f"migration failed: {result.message}\n{out.getvalue()}")
    log.info("database schema is up to date")


async def ping() -> None:
    await engine().run_ddl("SELECT 1")
