"""Coalescing feedback into room deltas: first text at once, then bounded in rate and size.

The coalescer's clock and its timer's sleep are a fake the test moves by hand: no test waits
for an interval to pass.
"""

from __future__ import annotations

import asyncio
from itertools import pairwise

import pytest

from evaluator.stream import DeltaCoalescer
from tests.integration.rooms_support import FakeClock

INTERVAL_SECS = 0.05
TOKEN_GAP_SECS = 0.001
# Fake time is a sum of float steps; a gap of exactly one interval may come out a hair short.
EPSILON_SECS = 1e-9
# A timer that does not fire when due never fires in fake time: fail quickly, not at 10 s.
WAIT_SECS = 2.0


class FakeTime(FakeClock):
    """A clock, and a sleep that returns only once the clock has been moved past its end."""

    def __init__(self) -> None:
        super().__init__(start=0.0)
        self.sleepers: list[tuple[float, asyncio.Future[None]]] = []

    async def sleep(self, secs: float) -> None:
        wake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.sleepers.append((self.now + secs, wake))
        await wake

    async def pass_time(self, secs: float) -> None:
        """Moves the clock, and lets every timer that came due run (one turn of the loop)."""
        await asyncio.sleep(0)  # a timer created just now starts its sleep at the old time
        self.advance(secs)
        due = [(at, wake) for at, wake in self.sleepers if at <= self.now + EPSILON_SECS]
        for entry in due:
            self.sleepers.remove(entry)
            if not entry[1].done():  # a cancelled timer's sleep is done already
                entry[1].set_result(None)
        await asyncio.sleep(0)


class Emitted:
    """The room's side: every delta with the (fake) time it was sent; can refuse after some."""

    def __init__(self, clock: FakeTime, fail_after: int | None = None) -> None:
        self.clock = clock
        self.texts: list[str] = []
        self.sent_at: list[float] = []
        self.refused = asyncio.Event()
        self.fail_after = fail_after
        self._changed = asyncio.Event()

    async def __call__(self, text: str) -> None:
        if self.fail_after is not None and len(self.texts) >= self.fail_after:
            self.refused.set()
            raise RuntimeError("room refused the delta")
        sent_at = self.clock()
        await asyncio.sleep(0)  # an append is a network round trip: let others interleave
        self.texts.append(text)
        self.sent_at.append(sent_at)
        self._changed.set()

    async def until(self, count: int) -> None:
        """Returns once `count` deltas were sent (a bounded wait for the timer's flush)."""
        async with asyncio.timeout(WAIT_SECS):
            while len(self.texts) < count:
                self._changed.clear()
                await self._changed.wait()


def coalescer_on(
    emitted: Emitted, interval_secs: float = INTERVAL_SECS, max_chars: int = 10_000
) -> DeltaCoalescer:
    clock = emitted.clock
    return DeltaCoalescer(emitted, interval_secs, max_chars, clock=clock, sleep=clock.sleep)


async def test_first_text_goes_out_at_once_then_tokens_are_coalesced() -> None:
    emitted = Emitted(FakeTime())
    coalescer = coalescer_on(emitted)
    tokens = [f"t{i} " for i in range(400)]
    for token in tokens:
        await coalescer.add(token)
        if token == tokens[0]:
            assert emitted.texts == ["t0 "], "the first delta is not delayed"
        await emitted.clock.pass_time(TOKEN_GAP_SECS)  # a fast model: a token every millisecond
    streaming = len(emitted.texts)
    await coalescer.close()
    assert "".join(emitted.texts) == "".join(tokens), "nothing lost, nothing reordered"
    sent_at = emitted.sent_at[:streaming]
    gaps = [later - earlier for earlier, later in pairwise(sent_at)]
    assert min(gaps) >= INTERVAL_SECS - EPSILON_SECS, "at most one delta per interval"
    # 0.4 s of tokens: one delta per 50 ms while they stream, not 400 and not one at the end.
    assert streaming >= round(len(tokens) * TOKEN_GAP_SECS / INTERVAL_SECS)


async def test_a_burst_over_the_size_bound_is_sent_without_waiting() -> None:
    emitted = Emitted(FakeTime())
    coalescer = coalescer_on(emitted, interval_secs=60, max_chars=100)
    await coalescer.add("a")
    for _ in range(5):
        await coalescer.add("x" * 50)
    assert "".join(emitted.texts) == "a" + "x" * 200 and all(len(t) <= 100 for t in emitted.texts)
    await coalescer.close()
    assert "".join(emitted.texts) == "a" + "x" * 250


async def test_buffered_text_is_flushed_by_the_timer_within_the_interval() -> None:
    emitted = Emitted(FakeTime())
    coalescer = coalescer_on(emitted)
    await coalescer.add("first")
    await coalescer.add(" second")  # buffered: the model then stalls
    assert emitted.texts == ["first"]
    await emitted.clock.pass_time(INTERVAL_SECS / 2)
    assert emitted.texts == ["first"], "not before the interval is up"
    await emitted.clock.pass_time(INTERVAL_SECS / 2)
    await emitted.until(2)
    assert emitted.texts == ["first", " second"]
    assert emitted.sent_at[1] == pytest.approx(INTERVAL_SECS)
    await coalescer.close()


async def test_an_emit_failure_in_the_timer_reaches_the_producer() -> None:
    emitted = Emitted(FakeTime(), fail_after=1)
    coalescer = coalescer_on(emitted)
    await coalescer.add("first")
    await coalescer.add("second")
    await emitted.clock.pass_time(INTERVAL_SECS)
    async with asyncio.timeout(WAIT_SECS):
        await emitted.refused.wait()  # the timer's flush was refused
    with pytest.raises(RuntimeError, match="refused"):
        await coalescer.add("third")
    await coalescer.discard()
