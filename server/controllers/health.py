"""Liveness of the parts the product needs: database, Redis, broker."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from litestar import Controller, MediaType, Response, get

from evaluator.broker import CONSUMER_GROUP, QUEUE_NAME
from server import db

if TYPE_CHECKING:
    from server.services import Services

# A health probe must answer even when a dependency hangs.
CHECK_TIMEOUT_SECS = 2.0


async def _timed(check: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        detail = await asyncio.wait_for(check, CHECK_TIMEOUT_SECS) or {}
    except Exception as exc:
        return {"status": "down", "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {
        "status": "ok",
        "latency_ms": round((time.perf_counter() - started) * 1000, 2),
        **detail,
    }


async def _redis(services: Services) -> dict[str, Any]:
    info = await services.redis.info("server")
    return {"version": info.get("valkey_version") or info.get("redis_version")}


async def _broker(services: Services) -> dict[str, Any]:
    """The task stream and its consumer group: how much waits and how many workers read it."""
    redis = services.redis
    length = await redis.xlen(QUEUE_NAME)
    groups = (
        await redis.xinfo_groups(QUEUE_NAME) if length or await redis.exists(QUEUE_NAME) else []
    )
    group = next((g for g in groups if g["name"] == CONSUMER_GROUP.encode()), None)
    return {
        "queue": QUEUE_NAME,
        "backlog": length,
        "consumers": int(group["consumers"]) if group else 0,
        "pending": int(group["pending"]) if group else 0,
    }


async def _database() -> dict[str, Any]:
    await db.ping()
    return {}


class HealthController(Controller):
    path = "/health"
    tags = ["operations"]

    @get(summary="Health of the database, Redis and the task broker", media_type=MediaType.JSON)
    async def health(self, services: Services) -> Response[dict[str, Any]]:
        database, redis, broker = await asyncio.gather(
            _timed(_database()), _timed(_redis(services)), _timed(_broker(services))
        )
        checks = {"database": database, "redis": redis, "broker": broker}
        ok = all(check["status"] == "ok" for check in checks.values())
        body = {"status": "ok" if ok else "down", **checks}
        return Response(body, status_code=200 if ok else 503)
