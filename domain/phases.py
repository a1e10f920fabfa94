"""Room phases and the table of the phase changes a room can make.

Which command is legal in which phase is a column of the command table
(``domain.decide.COMMANDS``). This file knows nothing about I/O.
"""

from __future__ import annotations

from enum import StrEnum

from domain.errors import IllegalInPhase


class Phase(StrEnum):
    CLARIFYING = "clarifying"
    DESIGN = "design"
    SUBMITTED = "submitted"
    EVALUATING = "evaluating"
    EVALUATED = "evaluated"
    ABANDONED = "abandoned"
    EXPIRED = "expired"


# What people read for each phase (status badges, the page's phase names via `GET /config`).
PHASE_LABELS: dict[Phase, str] = {
    Phase.CLARIFYING: "Clarifying",
    Phase.DESIGN: "Designing",
    Phase.SUBMITTED: "Submitted",
    Phase.EVALUATING: "Evaluating",
    Phase.EVALUATED: "Evaluated",
    Phase.ABANDONED: "Abandoned",
    Phase.EXPIRED: "Expired",
}
assert tuple(PHASE_LABELS) == tuple(Phase), "one label per phase, in order"

TERMINAL: frozenset[Phase] = frozenset({Phase.EVALUATED, Phase.ABANDONED, Phase.EXPIRED})
NON_TERMINAL: frozenset[Phase] = frozenset(Phase) - TERMINAL
ALL_PHASES: frozenset[Phase] = frozenset(Phase)

# The only phase changes a room can make. evaluating -> submitted is a failed evaluation, so
# that it can be retried.
TRANSITIONS: dict[Phase, frozenset[Phase]] = {
    Phase.CLARIFYING: frozenset({Phase.DESIGN, Phase.ABANDONED, Phase.EXPIRED}),
    Phase.DESIGN: frozenset({Phase.SUBMITTED, Phase.ABANDONED, Phase.EXPIRED}),
    Phase.SUBMITTED: frozenset({Phase.EVALUATING, Phase.ABANDONED}),
    Phase.EVALUATING: frozenset({Phase.EVALUATED, Phase.SUBMITTED}),
    Phase.EVALUATED: frozenset(),
    Phase.ABANDONED: frozenset(),
    Phase.EXPIRED: frozenset(),
}


def check_transition(src: Phase, dst: Phase) -> None:
    """Raise IllegalInPhase unless ``src -> dst`` is in TRANSITIONS."""
    if dst not in TRANSITIONS[src]:
        raise IllegalInPhase(f"cannot move from {src} to {dst}", phase=str(src), to_phase=str(dst))
