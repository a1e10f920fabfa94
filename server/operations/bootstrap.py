"""What every command that touches the data does first: resolve the servers, open the pool."""

from __future__ import annotations

import contextlib
import dataclasses
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator

    from server.settings import Settings


@contextlib.contextmanager
def resolved(settings: Settings) -> Iterator[Settings]:
    """Settings with both URLs set: the operator's, or embedded servers' (started if needed)."""
    from server.operations import db
    from server.operations.embedded import EmbeddedServices

    embedded = EmbeddedServices(settings.data_dir)
    database_url, redis_url = embedded.ensure(settings.database_url, settings.redis_url)
    os.environ["REDIS_URL"] = redis_url
    db.configure(database_url)
    try:
        yield dataclasses.replace(settings, database_url=database_url, redis_url=redis_url)
    finally:
        embedded.stop()


async def with_db(work: Callable[[], Awaitable[object]]) -> None:
    from server.operations import db

    await db.start_pool(max_size=4)
    try:
        await work()
    finally:
        await db.close_pool()
