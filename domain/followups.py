"""Follow-up questions during design, offline: which of a question's probes to ask next, and
how the candidate's answers count in the assessment.

A probe is a question an interviewer asks about the candidate's own design, tied to one rubric
point (``BankFollowup`` in the bank). The next one asked is the first probe whose point the
draft (with the answers given so far) does not state yet and that was not asked before; when
every point is stated, the first probe not yet asked. Answers count as text of the section
their probe belongs to; answers to other questions (an interviewer's, the model's) as extras.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import msgspec

from domain.assessment import assess

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from domain.assessment import AnswerContext
    from domain.questions import BankFollowup, RubricPoint
    from domain.state import Followup

# Answers to questions that probe no particular section count here: the interviewer reads them
# as the candidate's remarks on the design as a whole.
UNSECTIONED_ANSWERS = "extra"
# A point stated at least this well (in prose of any section) needs no probing.
COVERED_CREDIT = 0.75


class Answered(Protocol):
    @property
    def answer(self) -> str | None: ...

    @property
    def section(self) -> str | None: ...


class Exchange(msgspec.Struct, frozen=True):
    """A follow-up question and its answer, as the evaluator reads them."""

    question: str
    answer: str
    section: str | None = None
    origin: str = "interviewer"


def answers_by_section(followups: Sequence[Answered]) -> dict[str, list[str]]:
    """The follow-up answers given so far, by the section each counts in."""
    answers: dict[str, list[str]] = {}
    for followup in followups:
        if followup.answer is not None:
            answers.setdefault(followup.section or UNSECTIONED_ANSWERS, []).append(followup.answer)
    return answers


def _same(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def next_probe(
    probes: Sequence[BankFollowup],
    rubric: Mapping[str, Sequence[RubricPoint]],
    solution: Mapping[str, str],
    followups: Sequence[Followup],
    context: AnswerContext | None = None,
) -> BankFollowup | None:
    """The probe to ask now, or None when every probe was asked already."""
    fresh = [p for p in probes if not any(_same(p.question, f.question) for f in followups)]
    if not fresh:
        return None
    score = assess(rubric, solution, context, answers_by_section(followups))
    covered = {
        (section.section, point.point)
        for section in score.sections
        for point in section.points
        if point.credit >= COVERED_CREDIT
    }
    for probe in fresh:
        if (probe.section, probe.point) not in covered:
            return probe
    return fresh[0]
