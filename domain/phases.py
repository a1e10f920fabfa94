"""Room phases and the two tables that govern them.

Everything that decides which phase may follow which, and which command is legal in which
phase, lives in this file as data. This file knows nothing about I/O.
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

_EARLY = frozenset({Phase.CLARIFYING, Phase.DESIGN})

# Command type (its ``type`` tag) -> phases in which it is legal. Anything else raises
# IllegalInPhase. Timer, presence and clarification-timeout commands are legal everywhere
# because they may arrive late: a stale one yields no events rather than an error.
COMMANDS_ALLOWED: dict[str, frozenset[Phase]] = {
    # candidate
    "clarify": frozenset({Phase.CLARIFYING}),
    "advance": frozenset({Phase.CLARIFYING}),
    "draft": _EARLY,  # candidates may take notes while still clarifying
    "submit": frozenset({Phase.DESIGN}),
    "abandon": _EARLY,
    # observer
    "answer": _EARLY,
    "hint": _EARLY,
    "note": ALL_PHASES,  # interviewers keep annotating after the session ends
    "answer_mode": NON_TERMINAL,
    # system
    "join": ALL_PHASES,  # people open finished rooms to review them
    "leave": ALL_PHASES,
    "timer_warn": ALL_PHASES,
    "timer_expire": ALL_PHASES,
    "clarification_timeout": ALL_PHASES,
    # evaluating too: an at-least-once job that restarts after a crash begins a fresh stream
    "evaluation_start": frozenset({Phase.SUBMITTED, Phase.EVALUATING}),
    "evaluation_delta": frozenset({Phase.EVALUATING}),
    "evaluation_complete": frozenset({Phase.EVALUATING}),
    "evaluation_fail": frozenset({Phase.EVALUATING}),
}


def check_transition(src: Phase, dst: Phase) -> None:
    """Raise IllegalInPhase unless ``src -> dst`` is in TRANSITIONS."""
    if dst not in TRANSITIONS[src]:
        raise IllegalInPhase(f"cannot move from {src} to {dst}", phase=str(src), to_phase=str(dst))


def check_command_allowed(command_type: str, phase: Phase) -> None:
    """Raise IllegalInPhase unless the command type is legal in ``phase``."""
    if phase not in COMMANDS_ALLOWED[command_type]:
        raise IllegalInPhase(
            f"{command_type} is not allowed in phase {phase}",
            phase=str(phase),
            command=command_type,
        )
