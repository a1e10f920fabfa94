"""Per-socket machinery of the room WebSocket: the command rate limit and the heartbeats."""

from __future__ import annotations

import asyncio
import random
import time
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable

# Heartbeats keep idle proxies from closing the socket and carry the server clock for timers;
# jitter spreads thousands of sockets' heartbeats apart.
HEARTBEAT_SECS = 25.0
HEARTBEAT_JITTER = 0.2


class Beating(Protocol):
    async def heartbeat(self) -> None: ...


class Heartbeats:
    """One loop per process sends every socket a heartbeat about every HEARTBEAT_SECS, each at
    its own jittered time (a task per socket would cost memory on every idle connection)."""

    def __init__(self) -> None:
        self._due: dict[Beating, float] = {}
        self._sending: set[asyncio.Task[None]] = set()

    def add(self, connection: Beating) -> None:
        self._due[connection] = time.monotonic() + self._interval()

    def discard(self, connection: Beating) -> None:
        self._due.pop(connection, None)

    @staticmethod
    def _interval() -> float:
        return HEARTBEAT_SECS * (1 + random.uniform(-HEARTBEAT_JITTER, HEARTBEAT_JITTER))  # noqa: S311

    async def run(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            now = time.monotonic()
            for connection, due in list(self._due.items()):
                if due <= now:
                    self._due[connection] = now + self._interval()
                    task = asyncio.create_task(connection.heartbeat())
                    self._sending.add(task)
                    task.add_done_callback(self._sending.discard)


class TokenBucket:
    """Refills `rate` tokens a second up to `burst`; each command takes one."""

    __slots__ = ("_clock", "at", "burst", "rate", "tokens")

    def __init__(
        self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate, self.burst, self._clock = rate, burst, clock
        self.tokens, self.at = burst, clock()

    def take(self) -> bool:
        now = self._clock()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True
