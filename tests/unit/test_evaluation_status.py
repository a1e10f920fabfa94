"""Where an evaluation stands, from the room, the worker's lease and the queue mark."""

from __future__ import annotations

import pytest
from msgspec.structs import replace

from domain.phases import Phase
from domain.room import fold, start
from evaluator.pipeline import status_of

ROOM = fold(start("s1", "q1", "untimed", {}, 3, 1000.0))


@pytest.mark.parametrize(
    ("phase", "failure", "running", "queued", "status"),
    [
        (Phase.CLARIFYING, None, False, False, "not_submitted"),
        (Phase.DESIGN, None, False, False, "not_submitted"),
        (Phase.SUBMITTED, None, False, True, "queued"),
        (Phase.SUBMITTED, None, False, False, "queued"),  # lost job: the watchdog re-enqueues
        (Phase.SUBMITTED, None, True, False, "running"),  # taken, not started yet
        (Phase.EVALUATING, None, True, False, "running"),
        (Phase.EVALUATING, None, False, False, "running"),  # orphaned: the watchdog settles it
        (Phase.SUBMITTED, "down", False, False, "failed"),
        (Phase.SUBMITTED, "down", True, False, "failed"),  # the failed job is still finishing
        (Phase.SUBMITTED, "down", False, True, "queued"),  # retried, waiting for a worker
        (Phase.SUBMITTED, "down", True, True, "queued"),  # retried, a worker is taking it
        (Phase.EVALUATED, None, False, False, "evaluated"),
        (Phase.ABANDONED, None, False, False, "closed"),
        (Phase.EXPIRED, None, False, False, "closed"),
    ],
)
def test_status(
    phase: Phase, failure: str | None, running: bool, queued: bool, status: str
) -> None:
    state = replace(ROOM, phase=phase, failure=failure)
    assert status_of(state, running=running, queued=queued) == status
