"""Values several unit suites build commands from."""

from __future__ import annotations

from domain.evaluation import StoredEvaluation

T0 = 1_700_000_000.0
STORED_EVALUATION = StoredEvaluation(
    id="e1",
    session_id="s1",
    solution_id="sol1",
    score=7,
    sections={},
    strengths=["Clear entities"],
    weaknesses=[],
    improvement_points=[],
    follow_up_questions=[],
    feedback="Good.",
    evaluator="rubric",
    evaluated_at=T0,
)
