"""Progress from evaluations: the seed's UserStats and a study plan, computed without I/O.

Everything here is recomputed from the user's whole evaluation history, so a job that runs
twice, or evaluations that finish out of order, always end at the same numbers.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import msgspec

from domain.evaluation import PASS_SCORE
from domain.solution import section_label

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

# The phases the candidate spends working; time after submitting is the evaluator's.
WORKING_PHASES = ("clarifying", "design")
# An area averaging this or more is mastered and left out of the study plan.
MASTERED_SCORE = 80
STUDY_AREAS = 3
QUESTIONS_PER_AREA = 3
_DIFFICULTY_ORDER = {"easy": 0, "medium": 1, "hard": 2}


class EvaluatedSession(msgspec.Struct, frozen=True):
    question_id: str
    topics: list[str]
    score: int
    section_scores: dict[str, int]
    time_by_phase: dict[str, float]


class Progress(msgspec.Struct, frozen=True):
    problems_solved: int
    sessions_completed: int
    time_spent_secs: int
    time_by_phase: dict[str, int]
    average_score: float
    best_score: int
    topic_scores: dict[str, float]


class QuestionCard(msgspec.Struct, frozen=True):
    """A question the study plan may recommend: its topics and rubric points per section."""

    id: str
    slug: str
    title: str
    difficulty: str
    topics: list[str]
    points_per_section: dict[str, int]


class Recommendation(msgspec.Struct, frozen=True):
    slug: str
    title: str
    difficulty: str


class StudyItem(msgspec.Struct, frozen=True):
    area: str
    label: str
    average_score: float
    evaluations: int
    questions: list[Recommendation]


def phase_durations(started_at: float, changes: Sequence[tuple[str, float]]) -> dict[str, float]:
    """Seconds spent in each working phase, from the session start and its phase changes."""
    spent = dict.fromkeys(WORKING_PHASES, 0.0)
    phase, since = "clarifying", started_at
    for to_phase, at in changes:
        if phase in spent:
            spent[phase] += max(0.0, at - since)
        phase, since = to_phase, at
    return {name: round(secs, 3) for name, secs in spent.items()}


def _mean(values: Sequence[float]) -> float:
    return round(sum(values) / len(values), 2) if values else 0.0


def progress(sessions: Sequence[EvaluatedSession]) -> Progress:
    """Questions solved, time per phase, average and best score, and per-topic averages."""
    by_phase: dict[str, float] = dict.fromkeys(WORKING_PHASES, 0.0)
    by_topic: dict[str, list[float]] = defaultdict(list)
    for session in sessions:
        for phase, secs in session.time_by_phase.items():
            by_phase[phase] = by_phase.get(phase, 0.0) + secs
        for topic in session.topics:
            by_topic[topic].append(session.score)
    scores = [s.score for s in sessions]
    return Progress(
        problems_solved=len({s.question_id for s in sessions if s.score >= PASS_SCORE}),
        sessions_completed=len(sessions),
        time_spent_secs=round(sum(by_phase.values())),
        time_by_phase={phase: round(secs) for phase, secs in by_phase.items()},
        average_score=_mean(scores),
        best_score=max(scores, default=0),
        topic_scores={topic: _mean(values) for topic, values in sorted(by_topic.items())},
    )


def area_averages(sessions: Iterable[EvaluatedSession]) -> dict[str, tuple[float, int]]:
    """Per rubric section: (average score, how many evaluations scored it)."""
    collected: dict[str, list[float]] = defaultdict(list)
    for session in sessions:
        for section, score in session.section_scores.items():
            collected[section].append(score)
    return {section: (_mean(values), len(values)) for section, values in collected.items()}


def study_plan(
    sessions: Sequence[EvaluatedSession],
    catalogue: Sequence[QuestionCard],
    topic_scores: Mapping[str, float],
) -> list[StudyItem]:
    """The weakest rubric areas, each with questions that practise it, unsolved ones first."""
    solved = {s.question_id for s in sessions if s.score >= PASS_SCORE}
    areas = sorted(area_averages(sessions).items(), key=lambda item: (item[1][0], item[0]))
    weakest = [(area, avg, n) for area, (avg, n) in areas if avg < MASTERED_SCORE][:STUDY_AREAS]
    return [
        StudyItem(
            area=area,
            label=section_label(area),
            average_score=average,
            evaluations=count,
            questions=_practice(area, catalogue, solved, topic_scores),
        )
        for area, average, count in weakest
    ]


def _practice(
    area: str,
    catalogue: Sequence[QuestionCard],
    solved: set[str],
    topic_scores: Mapping[str, float],
) -> list[Recommendation]:
    """Questions with the most rubric points in `area`; unsolved and weak-topic ones first."""

    def weakness(card: QuestionCard) -> float:
        known = [topic_scores[t] for t in card.topics if t in topic_scores]
        return min(known, default=float(MASTERED_SCORE))

    ranked = sorted(
        (card for card in catalogue if card.points_per_section.get(area)),
        key=lambda card: (
            card.id in solved,
            -card.points_per_section[area],
            weakness(card),
            _DIFFICULTY_ORDER.get(card.difficulty, 1),
            card.slug,
        ),
    )
    return [Recommendation(c.slug, c.title, c.difficulty) for c in ranked[:QUESTIONS_PER_AREA]]
