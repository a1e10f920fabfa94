"""Errors raised inside the evaluator; none reaches a client as such (a job that fails writes
`evaluation.failed` into the room, with a reason the candidate can read). The hierarchy:

    EvaluatorError
    ├── EvaluationFailed   the evaluation cannot be done (retries spent, or the model refused);
    │                      `reason` is shown to the candidate, who may retry
    └── LeaseLost          another worker may have taken this evaluation over; this one stops
"""

from __future__ import annotations


class EvaluatorError(Exception):
    """Root of every error the evaluator raises."""


class EvaluationFailed(EvaluatorError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LeaseLost(EvaluatorError):
    """Another worker may have taken over this evaluation; this one stops streaming."""
