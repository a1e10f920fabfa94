"""Coalescing feedback into room deltas: first text at once, then bounded in rate and size."""

from __future__ import annotations

import asyncio

import pytest

from evaluator.stream import DeltaCoalescer

INTERVAL_SECS = 0.05


class Emitted:
    def __init__(self, fail_after: int | None = None) -> None:
        self.texts: list[str] = []
        self.fail_after = fail_after

    async def __call__(self, text: str) -> None:
        if self.fail_after is not None and len(self.texts) >= self.fail_after:
            raise RuntimeError("room refused the delta")
        await asyncio.sleep(0)  # an append is a network round trip: let others interleave
        self.texts.append(text)


async def test_first_text_goes_out_at_once_then_tokens_are_coalesced() -> None:
    emitted = Emitted()
    coalescer = DeltaCoalescer(emitted, INTERVAL_SECS, max_chars=10_000)
    tokens = [f"t{i} " for i in range(400)]
    for token in tokens:
        await coalescer.add(token)
        if token == tokens[0]:
            assert emitted.texts == ["t0 "], "the first delta is not delayed"
        await asyncio.sleep(0.001)
    await coalescer.close()
    assert "".join(emitted.texts) == "".join(tokens), "nothing lost, nothing reordered"
    # ~0.4 s of tokens at one delta per 50 ms: a handful of deltas, not 400.
    assert 3 <= len(emitted.texts) <= 20


async def test_a_burst_over_the_size_bound_is_sent_without_waiting() -> None:
    emitted = Emitted()
    coalescer = DeltaCoalescer(emitted, interval_secs=60, max_chars=100)
    await coalescer.add("a")
    for _ in range(5):
        await coalescer.add("x" * 50)
    assert "".join(emitted.texts) == "a" + "x" * 200 and all(len(t) <= 100 for t in emitted.texts)
    await coalescer.close()
    assert "".join(emitted.texts) == "a" + "x" * 250


async def test_buffered_text_is_flushed_by_the_timer_within_the_interval() -> None:
    emitted = Emitted()
    coalescer = DeltaCoalescer(emitted, INTERVAL_SECS, max_chars=10_000)
    await coalescer.add("first")
    await coalescer.add(" second")  # buffered: the model then stalls
    assert emitted.texts == ["first"]
    await asyncio.sleep(INTERVAL_SECS * 3)
    assert emitted.texts == ["first", " second"]
    await coalescer.close()


async def test_an_emit_failure_in_the_timer_reaches_the_producer() -> None:
    emitted = Emitted(fail_after=1)
    coalescer = DeltaCoalescer(emitted, INTERVAL_SECS, max_chars=10_000)
    await coalescer.add("first")
    await coalescer.add("second")
    await asyncio.sleep(INTERVAL_SECS * 3)
    with pytest.raises(RuntimeError, match="refused"):
        await coalescer.add("third")
    await coalescer.discard()
