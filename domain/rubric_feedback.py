"""The offline evaluator's words: a rubric score turned into a verdict and readable feedback."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.assessment import quote_of
from domain.evaluation import CriterionVerdict, Level, SectionVerdict, Verdict
from domain.rubric import STRONG_SECTION_SCORE, WEAK_SECTION_SCORE
from domain.solution import section_label

if TYPE_CHECKING:
    from collections.abc import Callable

    from domain.rubric import PointScore, RubricScore, SectionScore

# Lists shown to the candidate stay short enough to read; the schema allows up to 12.
MAX_LIST_ITEMS = 8
# Follow-up questions an interviewer would ask next.
MAX_FOLLOW_UPS = 4
# How the offline reading's places map to a criterion's level.
LEVELS: dict[str, Level] = {
    "section": "stated",
    "elsewhere": "partial",
    "short": "partial",
    "term": "missing",
    "missing": "missing",
}


def _labeller(question_type: str) -> Callable[[str], str]:
    """Section names as the candidate saw them (an HLD question names its sections otherwise)."""
    return lambda section: section_label(section, question_type)


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".")
    return text[:1].upper() + text[1:] + "."


def _section_comment(section: SectionScore) -> str:
    covered = [p for p in section.points if p.where == "section"]
    elsewhere = [p for p in section.points if p.where == "elsewhere"]
    fragments = [p for p in section.points if p.where in ("short", "term")]
    missing = [p for p in section.points if p.where == "missing"]
    parts = [f"States {len(covered)} of {len(section.points)} key points."]
    if elsewhere:
        parts.append(f"Stated in another section: {'; '.join(p.point for p in elsewhere)}.")
    if fragments:
        parts.append(f"Named but not explained: {'; '.join(p.point for p in fragments)}.")
    if missing:
        parts.append(f"Missing: {'; '.join(p.point for p in missing)}.")
    return " ".join(parts)[:600]


def _cited(section: str, point: PointScore, _label: Callable[[str], str]) -> str:
    """A strength pointing at the candidate's own words, which occur in their submission."""
    quote = quote_of(point)
    where = _label(point.section or section)
    if quote is None:
        return f"{where}: {_sentence(point.point)}"
    cut = "…" if point.quote and len(quote) < len(point.quote) else ""
    return f"{where}: “{quote}”{cut} — {point.point[:1].lower() + point.point[1:]}."[:600]


def _points(score: RubricScore, where: str) -> list[tuple[SectionScore, PointScore]]:
    return [(s, p) for s in score.sections for p in s.points if p.where == where]


def verdict_from_rubric(score: RubricScore, question_type: str = "LLD") -> Verdict:
    """Strengths quote what the candidate wrote; weaknesses and next steps name what is missing
    (and where), and the gates' notes come first."""
    _label = _labeller(question_type)
    covered, missing = _points(score, "section"), _points(score, "missing")
    misplaced = _points(score, "elsewhere")
    named = _points(score, "short") + _points(score, "term")
    strengths = [_cited(s.section, p, _label) for s, p in covered]
    strong = [s for s in score.sections if s.score >= STRONG_SECTION_SCORE]
    if strong:
        names = ", ".join(_label(s.section).lower() for s in strong)
        strengths.insert(0, f"Solid coverage of {names}.")
    weaknesses = [f"{_label(s.section)}: does not address: {p.point}." for s, p in missing]
    weaknesses = [
        f"{_label(p.section or s.section)}: “{quote_of(p)}” names it, says nothing of: {p.point}."
        for s, p in named
        if p.quote
    ] + weaknesses
    weak = [s for s in score.sections if s.score < WEAK_SECTION_SCORE]
    if weak:
        weaknesses.insert(0, f"Thin sections: {', '.join(_label(s.section) for s in weak)}.")
    weaknesses = [*score.notes, *weaknesses]
    improvements = [f"In {_label(s.section).lower()}, cover: {p.point}." for s, p in missing]
    improvements += [
        f"Move to {_label(s.section).lower()} (the interviewer looks there; you wrote it in "
        f"{_label(p.section or s.section).lower()}): {p.point}."
        for s, p in misplaced
    ]
    follow_ups = [f"How would your design handle this: {p.point}?" for _, p in missing]
    follow_ups += [f"Can you go deeper on: {p.point}?" for _, p in covered]
    return Verdict(
        criteria=[
            CriterionVerdict(s.section, p.point[:600], LEVELS[p.where], p.quote and p.quote[:400])
            for s in score.sections
            for p in s.points
        ][:60],
        score=score.score,
        sections={s.section: SectionVerdict(s.score, _section_comment(s)) for s in score.sections},
        strengths=strengths[:MAX_LIST_ITEMS] or ["Nothing in the answer states a key point yet."],
        weaknesses=weaknesses[:MAX_LIST_ITEMS],
        improvement_points=improvements[:MAX_LIST_ITEMS],
        follow_up_questions=follow_ups[:MAX_FOLLOW_UPS],
    )


def feedback_chunks(score: RubricScore, verdict: Verdict, question_type: str = "LLD") -> list[str]:
    """The feedback prose, one chunk per paragraph, in the order it is streamed."""
    _label = _labeller(question_type)
    chunks = [
        f"**Rubric evaluation: {score.score}/100.** This score comes from the offline rubric "
        "evaluator, which credits the question's key points where your answer states them.\n\n"
    ]
    if score.notes:
        chunks.append("**Held back**\n" + "".join(f"- {n}\n" for n in score.notes) + "\n")
    for section in score.sections:
        comment = verdict.sections[section.section].comment
        chunks.append(f"**{_label(section.section)}** ({section.score}/100): {comment}\n\n")
    if verdict.strengths:
        chunks.append("**Strengths**\n" + "".join(f"- {s}\n" for s in verdict.strengths) + "\n")
    if verdict.weaknesses:
        chunks.append("**Weaknesses**\n" + "".join(f"- {w}\n" for w in verdict.weaknesses) + "\n")
    if verdict.improvement_points:
        steps = "".join(f"- {i}\n" for i in verdict.improvement_points)
        chunks.append("**Next steps**\n" + steps)
    return chunks
