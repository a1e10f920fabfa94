"""What pub/sub dropped, the sweep finds: revoked sessions and changed roles, read from Redis."""

from __future__ import annotations

import asyncio
import uuid

import redis.asyncio as aioredis

from server.accounts import live
from server.accounts.tokens import Principal
from server.settings import load_settings
from tests.support.servers import SuiteServers
from tests.unit.test_live_sockets import Socket


async def test_the_sweep_closes_what_a_lost_announcement_would_have_closed(
    servers: SuiteServers,
) -> None:
    settings = load_settings({"REDIS_URL": servers.redis_url, "ENV": "test"})
    async with aioredis.Redis.from_url(servers.redis_url) as redis:
        registry = live.LiveSockets(redis)  # not started: it hears no announcement
        revoked, demoted, untouched = (
            Socket(Principal(uuid.uuid4(), "interviewer", uuid.uuid4())) for _ in range(3)
        )
        for socket in (revoked, demoted, untouched):
            registry.add(socket)
        await live.revoke_sids(redis, settings, [revoked.principal.sid])
        await live.record_role(redis, settings, demoted.principal.user_id, "candidate")
        await live.record_role(redis, settings, untouched.principal.user_id, "interviewer")

        await registry.sweep()
        for _ in range(3):
            await asyncio.sleep(0)
        assert revoked.ended == ["token_revoked"]
        assert demoted.ended == ["token_stale"]
        assert untouched.ended == []
        assert len(registry) == 1
