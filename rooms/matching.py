"""The clarification matcher a room consults before deciding a clarifying question.

The room engine only knows this protocol; the semantic and model matchers live in
`evaluator.clarifier` and are handed in by whoever builds the engine. Without one, the room
answers from the pure word-overlap matcher in `domain.clarify`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Sequence

    from domain.clarify import ClarificationRule, Match


class ClarificationMatcher(Protocol):
    async def match(self, question_id: str, text: str, rules: Sequence[ClarificationRule]) -> Match:
        """The answer to `text` from these rules (a rule's response or the neutral answer)."""
        ...

    async def prepare(self, question_id: str, rules: Sequence[ClarificationRule]) -> None:
        """Gets ready to answer on this question (called when a session starts on it)."""
        ...
