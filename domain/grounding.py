"""Holding a model's evaluation to the answer: quotes must occur in the submission, the score
follows from the criteria's levels, and the offline gates cap what an answer that states nothing
of its own can get, however the model was talked into scoring it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from msgspec.structs import replace

from domain.assessment import OFF_TOPIC_CAP
from domain.evaluation import LEVEL_CREDIT

if TYPE_CHECKING:
    from collections.abc import Mapping

    from domain.evaluation import CriterionVerdict, Verdict
    from domain.rubric import RubricScore

# An answer the offline reading finds stating nothing of its own (lists, echo, repeats) scores at
# most this much above the offline score, whatever a model says.
UNSTATED_MARGIN = 10
# Below this share of its words in statements that say something, an answer states nothing.
MIN_STATED_SHARE = 0.3


def _normalised(text: str) -> str:
    return " ".join(text.lower().split())


def _grounded(criterion: CriterionVerdict, written: str) -> CriterionVerdict | None:
    """The criterion with its quote kept only if the candidate wrote it; None when a 'stated'
    level rests on a quote that is not there."""
    if criterion.quote is None or _normalised(criterion.quote) in written:
        return criterion
    if criterion.level == "stated":
        return replace(criterion, level="partial", quote=None)
    return replace(criterion, quote=None)


def cap_for(offline: RubricScore, solution: Mapping[str, str]) -> int | None:
    """The most an answer may score when the offline reading says it failed a gate: empty, an
    answer to another question, or words that state nothing of their own."""
    if not any(text.strip() for key, text in solution.items() if key != "language"):
        return 0
    if offline.off_topic:
        return OFF_TOPIC_CAP
    if offline.stated_share < MIN_STATED_SHARE:
        return offline.score + UNSTATED_MARGIN
    return None


def ground(verdict: Verdict, solution: Mapping[str, str], offline: RubricScore) -> Verdict:
    """The model's verdict, held to the submission and to the offline gates."""
    written = _normalised("\n".join(solution.values()))
    criteria, dropped = [], 0
    for criterion in verdict.criteria:
        kept = _grounded(criterion, written)
        dropped += kept is None or kept.quote != criterion.quote
        if kept is not None:
            criteria.append(kept)
    score = verdict.score
    if criteria:
        score = round(100 * sum(LEVEL_CREDIT[c.level] for c in criteria) / len(criteria))
    weaknesses = list(verdict.weaknesses)
    if dropped:
        weaknesses.insert(
            0, f"{dropped} quote(s) the evaluation gave are not in your answer; they were dropped."
        )
    cap = cap_for(offline, solution)
    if cap is not None and score > cap:
        score = cap
        weaknesses[:0] = offline.notes[:2] or ["The answer states little in its own words."]
    return replace(verdict, score=score, criteria=criteria, weaknesses=weaknesses[:12])
