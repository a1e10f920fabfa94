"""The refresh-token grace window on real Postgres and Redis, with `now` passed in: a replay
inside the window gets the same successor, one after it revokes the whole family."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, cast

import pytest
import redis.asyncio as aioredis

from domain.tables import UserAuthSession
from server.accounts.refresh_families import ClientInfo, IssuedRefresh, is_revoked, rotate, start
from server.errors import TokenRevoked
from server.settings import Settings, load_settings
from tests.integration.rooms_support import make_user
from tests.support.servers import SuiteServers

if TYPE_CHECKING:
    from server.context import AppContext

CLIENT = ClientInfo(ip="127.0.0.1", user_agent="pytest")
ONE_MICROSECOND = timedelta(microseconds=1)  # Postgres keeps timestamps to the microsecond


@dataclass
class AuthContext:
    """The parts of the app context a refresh uses."""

    settings: Settings
    redis: aioredis.Redis


@pytest.fixture
async def ctx(servers: SuiteServers, database: str) -> AsyncIterator[AppContext]:
    settings = load_settings(
        {
            "ENV": "test",
            "DATABASE_URL": servers.database_url,
            "REDIS_URL": servers.redis_url,
            "JWT_SECRET": secrets.token_urlsafe(48),
        }
    )
    async with aioredis.Redis.from_url(servers.redis_url) as redis:
        yield cast("AppContext", AuthContext(settings, redis))


async def rotated_once(ctx: AppContext, t0: datetime) -> tuple[IssuedRefresh, IssuedRefresh]:
    """A login at t0 and its first refresh, also at t0: (the rotated token, its successor)."""
    first = await start(ctx.settings, await make_user(), CLIENT, now=t0)
    return first, await rotate(ctx, first.token, CLIENT, now=t0)


def grace(ctx: AppContext) -> timedelta:
    return timedelta(seconds=ctx.settings.auth_refresh_grace_secs)


async def family_rows(family_id: uuid.UUID) -> list[dict[str, object]]:
    return await UserAuthSession.select(UserAuthSession.revoked_at).where(
        UserAuthSession.family_id == family_id
    )


async def test_a_replay_at_the_end_of_the_window_gets_the_same_successor(
    ctx: AppContext,
) -> None:
    t0 = datetime.now(UTC)
    first, second = await rotated_once(ctx, t0)
    again = await rotate(ctx, first.token, CLIENT, now=t0 + grace(ctx) - ONE_MICROSECOND)
    assert again.token == second.token, "two tabs refreshing at once hold the same token"
    assert not await is_revoked(ctx.redis, first.family_id)
    assert (await rotate(ctx, second.token, CLIENT, now=t0)).family_id == first.family_id


async def test_a_replay_once_the_window_is_over_revokes_the_whole_family(
    ctx: AppContext,
) -> None:
    t0 = datetime.now(UTC)
    first, second = await rotated_once(ctx, t0)
    window_over = t0 + grace(ctx)
    with pytest.raises(TokenRevoked, match="already used"):
        await rotate(ctx, first.token, CLIENT, now=window_over)
    # The whole family is gone: the legitimate successor and its access tokens too.
    with pytest.raises(TokenRevoked, match="session has ended"):
        await rotate(ctx, second.token, CLIENT, now=window_over)
    assert await is_revoked(ctx.redis, first.family_id)
    assert [row["revoked_at"] for row in await family_rows(first.family_id)] == [window_over] * 2
