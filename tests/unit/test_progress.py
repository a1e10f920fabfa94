"""Progress stats and the study plan, from evaluation histories (pure)."""

from __future__ import annotations

import pytest

from domain.stats import (
    MASTERED_SCORE,
    EvaluatedSession,
    QuestionCard,
    phase_durations,
    progress,
    study_plan,
)


def session(
    question: str,
    score: int,
    topics: list[str] | None = None,
    sections: dict[str, int] | None = None,
    clarifying: float = 60,
    design: float = 600,
) -> EvaluatedSession:
    return EvaluatedSession(
        question, topics or [], score, sections or {}, {"clarifying": clarifying, "design": design}
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ([], {"clarifying": 0.0, "design": 0.0}),
        (
            [("design", 100.0), ("submitted", 400.0), ("evaluating", 401.0)],
            {"clarifying": 100.0, "design": 300.0},
        ),
        ([("submitted", 50.0)], {"clarifying": 50.0, "design": 0.0}),  # submitted straight away
        ([("design", 100.0), ("submitted", 90.0)], {"clarifying": 100.0, "design": 0.0}),
    ],
)
def test_phase_durations_count_only_working_phases(
    changes: list[tuple[str, float]], expected: dict[str, float]
) -> None:
    assert phase_durations(0.0, changes) == expected


def test_progress_totals() -> None:
    history = [
        session("q1", 40, ["caching"], clarifying=30, design=300),
        session("q1", 90, ["caching"], clarifying=60, design=900),
        session("q2", 65, ["concurrency", "caching"]),
        session("q3", 20, ["concurrency"]),
    ]
    totals = progress(history)
    assert totals.problems_solved == 2  # q1 and q2 passed (>= 60); repeats count once
    assert totals.sessions_completed == 4
    assert totals.best_score == 90 and totals.average_score == 53.75
    assert totals.time_by_phase == {"clarifying": 210, "design": 2400}
    assert totals.time_spent_secs == 2610
    assert totals.topic_scores == {"caching": 65.0, "concurrency": 42.5}


def test_no_history_is_all_zero() -> None:
    totals = progress([])
    assert (totals.problems_solved, totals.average_score, totals.best_score) == (0, 0.0, 0)


CATALOGUE = [
    QuestionCard("a", "lru-cache", "LRU", "medium", ["caching"], {"code": 4, "apis": 2}),
    QuestionCard("b", "parking-lot", "Parking", "easy", ["oop"], {"code": 2, "apis": 4}),
    QuestionCard("c", "chat", "Chat", "hard", ["realtime"], {"extra": 5, "apis": 3}),
    QuestionCard("d", "rate-limiter", "Limiter", "medium", ["caching"], {"code": 4}),
]


def test_study_plan_lists_weakest_areas_with_questions_that_practise_them() -> None:
    history = [
        session("a", 85, ["caching"], {"code": 30, "apis": 90, "extra": 60}),
        session("b", 40, ["oop"], {"code": 50, "apis": 70, "extra": 95}),
    ]
    plan = study_plan(history, CATALOGUE, progress(history).topic_scores)
    assert [item.area for item in plan] == ["code", "extra"]  # apis 80 is mastered
    code = plan[0]
    assert code.average_score == 40.0 and code.evaluations == 2 and code.label == "Code"
    # The solved one (a) comes last; among the rest, most code points first.
    assert [q.slug for q in code.questions] == ["rate-limiter", "parking-lot", "lru-cache"]
    assert [q.slug for q in plan[1].questions] == ["chat"]


def test_study_plan_is_empty_when_every_area_is_mastered() -> None:
    history = [session("a", 95, [], {"code": MASTERED_SCORE, "apis": 100})]
    assert study_plan(history, CATALOGUE, {}) == []
