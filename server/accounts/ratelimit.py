"""Fixed-window rate limits kept in Redis, so they hold across every app process."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from server.errors import RateLimited

if TYPE_CHECKING:
    import redis.asyncio as aioredis

KEY_PREFIX = "auth:rl"


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


async def hit(redis: aioredis.Redis, limit: Limit, subject: str) -> int:
    """Counts one hit; 0 if allowed, else the seconds to wait."""
    script = redis.register_script(_script_source())
    wait = await script(keys=[limit_key(limit, subject)], args=[limit.max_hits, limit.window_secs])
    return int(wait)


async def enforce(redis: aioredis.Redis, *checks: tuple[Limit, str]) -> None:
    """Counts a hit against each limit in turn; the first one exceeded raises RateLimited."""
    for limit, subject in checks:
        wait = await hit(redis, limit, subject)
        if wait:
            raise RateLimited(f"Too many requests; try again in {wait} seconds.", retry_after=wait)
