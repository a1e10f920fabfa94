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


class BankFollowup(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A follow-up question an interviewer asks about the design, probing one rubric point."""

    section: str
    point: str  # the rubric point of `section` it probes, word for word
    question: str


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
    # 3-6 probes, asked (first uncovered point first) when the system asks without a model.
    followups: list[BankFollowup] = msgspec.field(default_factory=list)

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
        points = {(section, p.point) for section, ps in self.rubric.items() for p in ps}
        for probe in self.followups:
            if (probe.section, probe.point) not in points:
                raise ValueError(
                    f"{self.slug}: follow-up {probe.question!r} probes no rubric point "
                    f"({probe.section}: {probe.point!r})"
                )


def decode_bank_question(raw: bytes) -> BankQuestion:
    return msgspec.json.decode(raw, type=BankQuestion)


def content_hash(raw: bytes) -> str:
    """Identifies a bank entry's content, so `seed` only rewrites what changed."""
    canonical = msgspec.json.encode(msgspec.json.decode(raw), order="sorted")
    return hashlib.sha256(canonical).hexdigest()
