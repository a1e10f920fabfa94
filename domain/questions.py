"""The question bank's typed form: one `BankQuestion` per file in `domain/bank/questions/`."""

from __future__ import annotations

import hashlib
from typing import Literal

import msgspec

from domain.clarify import ClarificationRule
from domain.solution import SOLUTION_SECTIONS


class BankRule(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    intent: str
    keywords: list[str]
    response: str
    # Ways a candidate asks for this rule, in their words (3-5; see FORMAT.md).
    examples: list[str] = msgspec.field(default_factory=list)


class RubricPoint(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    point: str
    keywords: list[str]


class Durations(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    clarifying: int
    design: int


class BankQuestion(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    slug: str
    title: str
    type: Literal["LLD", "HLD"]
    difficulty: Literal["easy", "medium", "hard"]
    topics: list[str]
    is_locked: bool
    is_coming_soon: bool
    description: str
    companies: list[str]
    durations: Durations
    max_clarifications: int
    clarification_rules: list[BankRule]
    rubric: dict[str, list[RubricPoint]]
    reference_solution: dict[str, str]
    weak_solution: dict[str, str]

    def rules(self) -> tuple[ClarificationRule, ...]:
        """The clarification rules as the room matches them."""
        return tuple(
            ClarificationRule(r.intent, tuple(r.keywords), r.response, tuple(r.examples))
            for r in self.clarification_rules
        )

    def __post_init__(self) -> None:
        unknown = set(self.rubric) - set(SOLUTION_SECTIONS)
        if unknown:
            raise ValueError(f"{self.slug}: unknown rubric sections {sorted(unknown)}")


def decode_bank_question(raw: bytes) -> BankQuestion:
    return msgspec.json.decode(raw, type=BankQuestion)


def content_hash(raw: bytes) -> str:
    """Identifies a bank entry's content, so `seed` only rewrites what changed."""
    canonical = msgspec.json.encode(msgspec.json.decode(raw), order="sorted")
    return hashlib.sha256(canonical).hexdigest()
