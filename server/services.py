"""Long-lived clients one app process shares, created in the app's lifespan and injected."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import redis.asyncio as aioredis

from evaluator.broker import create_broker
from server import db

if TYPE_CHECKING:
    from taskiq_redis import RedisStreamBroker

    from server.settings import Settings

log = logging.getLogger("interview_rooms")


class Services:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        assert self.settings.redis_url and self.settings.database_url, "URLs resolved by the CLI"
        self.redis: aioredis.Redis = aioredis.Redis.from_url(
            self.settings.redis_url, decode_responses=False
        )
        self.broker: RedisStreamBroker = create_broker(self.settings.redis_url)

    async def start(self) -> None:
        db.configure(self.settings.database_url or "")
        await db.start_pool()
        await self.broker.startup()

    async def stop(self) -> None:
        await self.broker.shutdown()
        await self.redis.aclose()
        await db.close_pool()
