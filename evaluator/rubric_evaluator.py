"""The offline evaluator: no API key needed, the same pipeline, honestly labelled `rubric`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.assessment import assess
from domain.rubric_feedback import feedback_chunks, verdict_from_rubric
from evaluator.base import Evaluated, stream_after

if TYPE_CHECKING:
    from evaluator.base import TextSink
    from evaluator.prompts import EvaluationInput

RUBRIC_LABEL = "rubric"


class RubricEvaluator:
    label = RUBRIC_LABEL

    async def evaluate(
        self, evaluation: EvaluationInput, sink: TextSink, shown: str = ""
    ) -> Evaluated:
        """Scores rubric coverage, then streams the feedback one paragraph per delta (after the
        part a dead worker showed: the same answer gets the same feedback)."""
        score = assess(
            evaluation.rubric,
            evaluation.solution,
            evaluation.answer_context(),
            evaluation.answers(),
        )
        verdict = verdict_from_rubric(score, evaluation.question_type)
        chunks = feedback_chunks(score, verdict, evaluation.question_type)
        await stream_after(sink, chunks, shown)
        return Evaluated(verdict, "".join(chunks).strip())

    async def close(self) -> None:
        return None
