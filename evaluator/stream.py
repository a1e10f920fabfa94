"""Feedback text into the room: coalesced into `evaluation.delta` events, in order.

A fast model sends a token every few milliseconds; one room event per token would mean
thousands of events per evaluation. The coalescer sends the first text at once (so the first
delta is not delayed), then at most one delta per `FLUSH_INTERVAL_SECS`, or sooner when
`FLUSH_CHARS` are waiting. A timer makes sure text never waits longer than the interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any

from domain.commands import EvaluationDelta, EvaluationStart
from evaluator.errors import LeaseLost
from rooms.service import SYSTEM

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from rooms.service import RoomService

log = logging.getLogger("interview_rooms.evaluator")

# At most ~20 deltas a second per room: smooth to read, cheap to store and fan out.
FLUSH_INTERVAL_SECS = 0.05
# A paragraph per event at most; a burst this large goes out without waiting for the timer.
FLUSH_CHARS = 200


class DeltaCoalescer:
    def __init__(
        self,
        emit: Callable[[str], Awaitable[None]],
        interval_secs: float = FLUSH_INTERVAL_SECS,
        max_chars: int = FLUSH_CHARS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self._emit, self._interval, self._max_chars = emit, interval_secs, max_chars
        # Injected together: a test moves its clock and wakes the timer, without waiting.
        self._clock, self._sleep = clock, sleep
        self._pending: list[str] = []
        self._size = 0
        self._last_flush = float("-inf")
        self._lock = asyncio.Lock()
        self._timer: asyncio.Task[None] | None = None
        self._error: BaseException | None = None

    async def add(self, text: str) -> None:
        self._raise_pending_error()
        self._pending.append(text)
        self._size += len(text)
        waited = self._clock() - self._last_flush
        if self._size >= self._max_chars or waited >= self._interval:
            await self.flush()
        elif self._timer is None:
            self._timer = asyncio.create_task(self._flush_later(self._interval - waited))

    async def flush(self) -> None:
        """Sends everything buffered as one delta (in order with any flush under way)."""
        async with self._lock:
            self._raise_pending_error()
            if not self._pending:
                return
            text = "".join(self._pending)
            self._pending.clear()
            self._size = 0
            self._last_flush = self._clock()
            await self._emit(text)

    async def close(self) -> None:
        """Stops the timer and sends what is left."""
        await self._stop_timer()
        await self.flush()

    async def discard(self) -> None:
        """Stops the timer and drops what is left (the stream is being abandoned)."""
        await self._stop_timer()
        self._pending.clear()
        self._size = 0

    async def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timer
            self._timer = None

    async def _flush_later(self, delay: float) -> None:
        await self._sleep(delay)
        self._timer = None
        try:
            await self.flush()
        except Exception as exc:  # surfaced to the producer on its next call
            self._error = exc

    def _raise_pending_error(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error


async def _always() -> bool:
    return True


class RoomSink:
    """A `TextSink` that streams into one room as the system actor.

    `confirm` is asked before every event it writes and must say the job still owns the
    evaluation (the job passes its lease's renewal: each event is then written under a lease
    good for a whole TTL more, so a worker that lost it stops before writing over a successor's
    stream). `shown` is the feedback the room already has, from a worker this job took over.

    A room rebuilt from Postgres after Redis lost its data may lack the last deltas (those not
    yet archived); the sink sees it in the state its next delta leaves, and sends the whole text
    again after a fresh `evaluation.started`, so the room never shows a feedback with a hole.
    """

    def __init__(
        self,
        rooms: RoomService,
        session_id: str,
        evaluator: str,
        confirm: Callable[[], Awaitable[bool]] = _always,
        shown: str = "",
    ) -> None:
        self._rooms, self._session_id, self._evaluator = rooms, session_id, evaluator
        self._confirm = confirm
        self._coalescer = DeltaCoalescer(self._emit)
        self._sent_text = bool(shown)
        self._room_text = shown  # what the room shows of this stream, as this sink wrote it

    async def start(self) -> None:
        """`evaluation.started`: moves the room to evaluating, or begins a fresh stream."""
        await self._execute_start()

    async def text(self, chunk: str) -> None:
        self._sent_text = True
        await self._coalescer.add(chunk)

    async def flush(self) -> None:
        await self._coalescer.flush()

    async def restart(self) -> None:
        if self._sent_text:
            await self._coalescer.discard()
            await self._execute_start()

    async def close(self) -> None:
        await self._coalescer.close()

    async def abandon(self) -> None:
        await self._coalescer.discard()

    async def _execute_start(self) -> None:
        await self._check_owner()
        self._sent_text = False
        self._room_text = ""
        await self._rooms.execute(self._session_id, EvaluationStart(self._evaluator), SYSTEM)

    async def _emit(self, text: str) -> None:
        await self._check_owner()
        self._room_text += text
        outcome = await self._rooms.execute(self._session_id, EvaluationDelta(text), SYSTEM)
        if outcome.state.evaluation_text != self._room_text:
            await self._mend(self._room_text)

    async def _mend(self, whole: str) -> None:
        """The room lost part of the stream (rebuilt after a Redis loss): start it over, whole."""
        log.warning(
            "room %s lost part of the evaluation's text; sending it again", self._session_id
        )
        await self._execute_start()
        self._sent_text, self._room_text = True, whole
        await self._rooms.execute(self._session_id, EvaluationDelta(whole), SYSTEM)

    async def _check_owner(self) -> None:
        if not await self._confirm():
            raise LeaseLost(f"lost the evaluation lease of {self._session_id}")
