"""Fixed-window rate limits kept in Redis, so they hold across every app process.

The window runs on the caller's clock (`now`, epoch seconds), passed into one Lua step.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from server.errors import RateLimited

if TYPE_CHECKING:
    import redis.asyncio as aioredis

# Counters are hashes {start, count}; the prefix differs from the old string counters
# ("auth:rl"), so a process of the previous release never meets a key of the other type.
KEY_PREFIX = "auth:limit"


@dataclass(frozen=True)
class Limit:
    name: str
    max_hits: int
    window_secs: int


@cache
def _script_source() -> str:
    return (resources.files("server.accounts") / "ratelimit.lua").read_text(encoding="utf-8")


def limit_key(limit: Limit, subject: str) -> str:
    """Subjects (addresses, IPs) are hashed so Redis never holds them in the clear."""
    digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
    return f"{KEY_PREFIX}:{limit.name}:{digest}"


async def _run(redis: aioredis.Redis, limit: Limit, subject: str, now: float, count: bool) -> int:
    script = redis.register_script(_script_source())
    args: list[int | str] = [limit.max_hits, limit.window_secs, repr(float(now)), int(count)]
    return int(await script(keys=[limit_key(limit, subject)], args=args))


async def hit(redis: aioredis.Redis, limit: Limit, subject: str, now: float) -> int:
    """Counts one hit; 0 if allowed, else the seconds to wait."""
    return await _run(redis, limit, subject, now, count=True)


async def blocked_for(redis: aioredis.Redis, limit: Limit, subject: str, now: float) -> int:
    """Counts nothing: 0 if one more hit would be allowed, else the seconds to wait."""
    return await _run(redis, limit, subject, now, count=False)


async def enforce(redis: aioredis.Redis, *checks: tuple[Limit, str], now: float) -> None:
    """Counts a hit against each limit in turn; the first one exceeded raises RateLimited."""
    for limit, subject in checks:
        wait = await hit(redis, limit, subject, now)
        if wait:
            raise RateLimited(f"Too many requests; try again in {wait} seconds.", retry_after=wait)
