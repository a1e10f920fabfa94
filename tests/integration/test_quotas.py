"""Per-account and per-address limits held in Redis (server/sessions/quotas.py)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from server.errors import RateLimited, TooManySockets
from server.sessions.quotas import COMMAND_BURST, SOCKETS_PER_IP, SOCKETS_PER_USER, Quotas
from tests.support.servers import SuiteServers


@pytest.fixture
async def quotas(servers: SuiteServers) -> AsyncIterator[Quotas]:
    async with aioredis.Redis.from_url(servers.redis_url) as redis:
        yield Quotas(redis)


async def test_the_command_allowance_is_a_burst_then_refused_with_a_wait(quotas: Quotas) -> None:
    user = uuid.uuid4()
    for _ in range(COMMAND_BURST):
        await quotas.take_command(user)
    with pytest.raises(RateLimited) as refused:
        await quotas.take_command(user)
    assert refused.value.fields["retry_after"] >= 1
    await quotas.take_command(uuid.uuid4())  # another account has its own allowance


async def test_an_address_full_of_sockets_refuses_the_next_and_holds_nothing_for_it(
    quotas: Quotas,
) -> None:
    address = f"198.51.100.{uuid.uuid4().int % 250}"
    users = [uuid.uuid4() for _ in range(SOCKETS_PER_IP)]
    for user in users:
        await quotas.open_socket(user, address, uuid.uuid4().hex)
    newcomer = uuid.uuid4()
    with pytest.raises(TooManySockets):
        await quotas.open_socket(newcomer, address, "one-too-many")
    # The newcomer's own slot was given back: elsewhere it may open all of its sockets.
    for n in range(SOCKETS_PER_USER):
        await quotas.open_socket(newcomer, "203.0.113.9", f"elsewhere-{n}")
    with pytest.raises(TooManySockets):
        await quotas.open_socket(newcomer, "203.0.113.9", "elsewhere-over")
    await quotas.close_socket(newcomer, "203.0.113.9", "elsewhere-0")
    await quotas.open_socket(newcomer, "203.0.113.9", "elsewhere-again")
    # Renewing or reopening a slot already held is not a new socket.
    await quotas.renew_socket(newcomer, "203.0.113.9", "elsewhere-again")
    await quotas.open_socket(newcomer, "203.0.113.9", "elsewhere-again")
