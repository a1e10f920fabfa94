"""What every evaluator (the model, the offline rubric) offers and what it writes to; its
errors are in `evaluator/errors.py`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from domain.evaluation import Verdict
    from evaluator.prompts import EvaluationInput


class TextSink(Protocol):
    """Where feedback text goes as it is produced (the room, coalesced into delta events)."""

    async def text(self, chunk: str) -> None: ...

    async def flush(self) -> None:
        """Send what is buffered now."""

    async def restart(self) -> None:
        """A new attempt starts its feedback over; what was sent is superseded."""


@dataclass(frozen=True)
class Evaluated:
    verdict: Verdict
    feedback: str


class Evaluator(Protocol):
    @property
    def label(self) -> str:
        """`rubric` or `openai:<model>`: stored with the evaluation, shown to the user."""

    async def evaluate(self, evaluation: EvaluationInput, sink: TextSink) -> Evaluated: ...

    async def close(self) -> None: ...
