"""Redis leases: who is evaluating a solution right now, and which worker runs the watchdog.

A lease is a key holding its holder's random token with a TTL. The holder renews it on a
heartbeat (`RENEWALS_PER_TTL` times per TTL); if the holder dies the key expires and someone else
may take it. Renew and release are Lua scripts that act only for the current holder; a renewal
that finds the key gone (expired while the holder was slow, or Redis lost its data) takes it
again, since nobody else holds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import redis.asyncio as aioredis
    from redis.commands.core import AsyncScript

log = logging.getLogger("interview_rooms.evaluator")

# A waiting job checks this often whether the lease came free.
LEASE_POLL_SECS = 0.25
# The heartbeat renews this many times per lease period, so one slow renewal does not lose it.
RENEWALS_PER_TTL = 3


def evaluation_key(session_id: str) -> str:
    return f"evaluation:{session_id}:lease"


def lua_script(redis: aioredis.Redis, name: str) -> AsyncScript:
    """One of `evaluator/lua/*.lua`, registered on `redis` (loaded once, then run by its SHA)."""
    source = (resources.files("evaluator") / "lua" / f"{name}.lua").read_text()
    return redis.register_script(source)


class Lease:
    def __init__(self, redis: aioredis.Redis, key: str, ttl_secs: float) -> None:
        self.redis, self.key, self.ttl_secs = redis, key, ttl_secs
        self.token = secrets.token_hex(16)
        self.lost = False
        self._renew = lua_script(redis, "lease_renew")
        self._release = lua_script(redis, "lease_release")

    @property
    def _ttl_ms(self) -> int:
        return max(1, int(self.ttl_secs * 1000))

    async def acquire(self) -> bool:
        taken = await self.redis.set(self.key, self.token, nx=True, px=self._ttl_ms)
        self.lost = not taken
        return bool(taken)

    async def acquire_or_renew(self) -> bool:
        """Takes the lease if free, keeps it if already ours."""
        if await self.renew():
            return True
        return await self.acquire()

    async def renew(self) -> bool:
        """Extends the lease by a whole TTL from now; False if someone else holds it."""
        renewed = bool(await self._renew(keys=[self.key], args=[self.token, self._ttl_ms]))
        self.lost = not renewed
        return renewed

    async def release(self) -> None:
        await self._release(keys=[self.key], args=[self.token])

    async def wait_acquire(self, wait_secs: float) -> bool:
        """Acquires, waiting up to `wait_secs` for a holder (perhaps a dead one) to let go."""
        deadline = time.monotonic() + wait_secs
        while not await self.acquire():
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(LEASE_POLL_SECS)
        return True

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.ttl_secs / RENEWALS_PER_TTL)
            try:
                if not await self.renew():
                    log.warning("lease %s was lost", self.key)
                    return
            except Exception:
                log.exception("renewing lease %s failed; will retry", self.key)

    @contextlib.asynccontextmanager
    async def kept(self) -> AsyncIterator[Lease]:
        """Renews the (acquired) lease in the background; releases it on the way out."""
        heartbeat = asyncio.create_task(self._heartbeat(), name=f"lease:{self.key}")
        try:
            yield self
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
            await self.release()


async def is_held(redis: aioredis.Redis, key: str) -> bool:
    return bool(await redis.exists(key))
