"""Response bodies of the evaluation API (documented in OpenAPI)."""

from __future__ import annotations

from typing import Literal

import msgspec

ProgressStatus = Literal["queued", "running", "failed"]


class EvaluationProgress(msgspec.Struct):
    """202: the evaluation is queued, running (with the feedback so far), or failed."""

    status: ProgressStatus
    evaluator: str | None
    feedback_so_far: str
    failure: str | None
    retry_allowed: bool
