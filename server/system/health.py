"""Liveness of the parts the product needs: database, Redis, broker."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from litestar import Controller, MediaType, Response, get
from litestar.openapi.datastructures import ResponseSpec

from evaluator.broker import queue_depth
from server.operations import db

if TYPE_CHECKING:
    from server.context import AppContext

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


async def _redis(ctx: AppContext) -> dict[str, Any]:
    info = await ctx.redis.info("server")
    return {"version": info.get("valkey_version") or info.get("redis_version")}


async def _database() -> dict[str, Any]:
    await db.ping()
    return {}


class HealthController(Controller):
    path = "/health"
    tags = ["operations"]

    @get(
        summary="Health of the database, Redis and the task broker",
        media_type=MediaType.JSON,
        responses={
            503: ResponseSpec(
                dict[str, Any], description="A part is down.", generate_examples=False
            )
        },
    )
    async def health(self, ctx: AppContext) -> Response[dict[str, Any]]:
        database, redis, broker = await asyncio.gather(
            _timed(_database()), _timed(_redis(ctx)), _timed(queue_depth(ctx.redis))
        )
        checks = {"database": database, "redis": redis, "broker": broker}
        ok = all(check["status"] == "ok" for check in checks.values())
        body = {"status": "ok" if ok else "down", **checks}
        return Response(body, status_code=200 if ok else 503)
