"""The structured evaluation: what a model (or the offline rubric) must produce, and its checks.

``Verdict`` is the structured part of an evaluation. A model's JSON is decoded into it with
``parse_verdict``, which enforces the schema (types, 0-100 scores, known section names, bounded
lists) and raises ``InvalidVerdict`` otherwise; ``VERDICT_SCHEMA`` is the same contract as a
JSON Schema document, quoted in the prompt.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import msgspec

from domain.solution import SOLUTION_SECTIONS

Score = Annotated[int, msgspec.Meta(ge=0, le=100)]
# One bullet or comment; longer is an essay, not a point.
Line = Annotated[str, msgspec.Meta(min_length=1, max_length=600)]
# A dozen bullets per list is already more than a candidate reads.
Lines = Annotated[list[Line], msgspec.Meta(max_length=12)]
# The streamed prose; longer answers are cut here before storing.
MAX_FEEDBACK_CHARS = 20_000
# An evaluation at or above this score counts as an accepted (solved) answer.
PASS_SCORE = 60


class InvalidVerdict(ValueError):
    """A model's structured result broke the schema; the answer is retried, never stored."""


class SectionVerdict(msgspec.Struct, frozen=True):
    score: Score
    comment: Line


Level = Literal["stated", "partial", "missing"]
# What a level of one rubric criterion is worth; the score is their mean, not a free number.
LEVEL_CREDIT: dict[str, float] = {"stated": 1.0, "partial": 0.5, "missing": 0.0}
Quote = Annotated[str, msgspec.Meta(max_length=400)]


class CriterionVerdict(msgspec.Struct, frozen=True):
    """One rubric key point: how far the answer states it, and the candidate's words for it."""

    section: str
    point: Line
    level: Level
    quote: Quote | None = None


class Verdict(msgspec.Struct, frozen=True):
    """Score 0-100, per-section scores and comments, and the lists shown to the candidate."""

    score: Score
    sections: dict[str, SectionVerdict]
    strengths: Lines
    weaknesses: Lines
    improvement_points: Lines
    follow_up_questions: Lines
    criteria: Annotated[list[CriterionVerdict], msgspec.Meta(max_length=60)] = msgspec.field(
        default_factory=list
    )

    def __post_init__(self) -> None:
        unknown = sorted(set(self.sections) - set(SOLUTION_SECTIONS))
        if unknown:
            raise ValueError(f"unknown sections {unknown}; use {list(SOLUTION_SECTIONS)}")


VERDICT_SCHEMA: dict[str, Any] = msgspec.json.schema(Verdict)
_verdict_decoder = msgspec.json.Decoder(Verdict)
_FENCE = re.compile(r"^```[a-zA-Z]*\s*|\s*```$")


def parse_verdict(text: str) -> Verdict:
    """The verdict in a model's JSON (optionally fenced); InvalidVerdict says what is wrong."""
    body = _FENCE.sub("", text.strip()).strip()
    if not body:
        raise InvalidVerdict("the structured result is missing")
    try:
        return _verdict_decoder.decode(body)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise InvalidVerdict(f"the structured result is invalid: {exc}") from exc


class StoredEvaluation(msgspec.Struct, frozen=True):
    """An evaluation as stored and shown: the verdict plus the feedback and its provenance."""

    id: str
    session_id: str
    solution_id: str
    score: int
    sections: dict[str, SectionVerdict]
    strengths: list[str]
    weaknesses: list[str]
    improvement_points: list[str]
    follow_up_questions: list[str]
    feedback: str
    evaluator: str
    evaluated_at: float
    criteria: list[CriterionVerdict] = msgspec.field(default_factory=list)


def section_scores(details: dict[str, Any]) -> dict[str, int]:
    """Per-section scores from an evaluation's stored details (tolerates older shapes)."""
    sections = details.get("sections") or {}
    return {
        name: int(value["score"])
        for name, value in sections.items()
        if isinstance(value, dict) and isinstance(value.get("score"), int | float)
    }
