"""What every evaluator (the model, the offline rubric) offers and what it writes to; its
errors are in `evaluator/errors.py`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Sequence

    from domain.evaluation import Verdict
    from evaluator.prompts import EvaluationInput


class TextSink(Protocol):
    """Where feedback text goes as it is produced (the room, coalesced into delta events)."""

    async def text(self, chunk: str) -> None: ...

    async def flush(self) -> None:
        """Send what is buffered now."""

    async def restart(self) -> None:
        """The feedback starts over: what the room shows of it is superseded by a fresh stream."""


@dataclass(frozen=True)
class Evaluated:
    verdict: Verdict
    feedback: str


class Evaluator(Protocol):
    @property
    def label(self) -> str:
        """`rubric` or `openai:<model>`: stored with the evaluation, shown to the user."""

    async def evaluate(
        self, evaluation: EvaluationInput, sink: TextSink, shown: str = ""
    ) -> Evaluated:
        """Streams the feedback into `sink` and returns the result. `shown` is the feedback the
        room already shows (a dead worker's job taken over): it is continued, never sent again;
        an evaluator that cannot continue it restarts the sink's stream."""

    async def close(self) -> None: ...


async def stream_after(sink: TextSink, chunks: Sequence[str], shown: str) -> None:
    """Streams a known feedback one chunk per delta, skipping the `shown` part of it; restarts
    the stream if the shown text is not how this feedback begins."""
    skip = len(shown)
    if not "".join(chunks).startswith(shown):
        await sink.restart()
        skip = 0
    for chunk in chunks:
        if skip >= len(chunk):
            skip -= len(chunk)
            continue
        await sink.text(chunk[skip:])
        await sink.flush()
        skip = 0
