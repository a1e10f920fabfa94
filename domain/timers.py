"""Phase timers as plain deadlines.

The room state holds the current phase's deadline; ``due_timers`` turns "what time is it" into
the TimerWarn / TimerExpire commands the server should feed to ``decide``. Because ``decide``
ignores stale and repeated timer commands, polling this is safe from any number of processes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.commands import (
    MAX_SYSTEM_FOLLOWUPS,
    ClarificationTimeout,
    Command,
    FollowupAsk,
    TimerExpire,
    TimerWarn,
)
from domain.errors import InvalidCommand
from domain.phases import Phase

if TYPE_CHECKING:
    from collections.abc import Mapping

    from domain.state import RoomState

# Phases that run against a clock; later phases wait on the evaluator, not the candidate.
TIMED_PHASES: tuple[Phase, ...] = (Phase.CLARIFYING, Phase.DESIGN)
# A minute is enough to wrap up a thought; for short phases a warning at 20% of the budget
# keeps it from landing right at the start.
WARNING_BEFORE_SECS = 60
WARNING_FRACTION = 0.2
# A candidate waiting on a human interviewer longer than this gets the rules' answer instead:
# long enough to type a reply, short enough not to stall the interview.
HUMAN_ANSWER_TIMEOUT_SECS = 90
# Halfway through a timed design phase the interviewer asks about the design so far: early
# enough to change it, late enough that there is a design to ask about.
FOLLOWUP_MARK_SHARE = 0.5
# Below 10 s a phase is unusable; above 3 h it is no longer an interview.
MIN_PHASE_SECS = 10
MAX_PHASE_SECS = 3 * 3600


def warning_at(deadline: float, duration: float) -> float:
    """When to warn: WARNING_BEFORE_SECS or 20% of the budget before the deadline, the lesser."""
    return deadline - min(WARNING_BEFORE_SECS, duration * WARNING_FRACTION)


def validate_durations(durations: Mapping[str, int]) -> dict[str, int]:
    """A clean copy of per-phase budgets; raises InvalidCommand on unknown phases or bounds."""
    clean: dict[str, int] = {}
    for phase, secs in durations.items():
        if phase not in TIMED_PHASES:
            raise InvalidCommand(f"{phase!r} is not a timed phase", field="durations")
        if isinstance(secs, bool) or not isinstance(secs, int):
            raise InvalidCommand(f"duration of {phase} must be whole seconds", field="durations")
        if not MIN_PHASE_SECS <= secs <= MAX_PHASE_SECS:
            raise InvalidCommand(
                f"duration of {phase} must be {MIN_PHASE_SECS}..{MAX_PHASE_SECS} s",
                field="durations",
                phase=phase,
            )
        clean[phase] = secs
    return clean


def _phase_timer(state: RoomState, now: float) -> list[Command]:
    if state.deadline is None or state.phase not in state.durations:
        return []
    if now >= state.deadline:
        return [TimerExpire(phase=state.phase)]
    duration = state.durations[state.phase]
    if not state.warned and now >= warning_at(state.deadline, duration):
        return [TimerWarn(phase=state.phase)]
    return []


def _pending(state: RoomState) -> list[tuple[str, float]]:
    """Unanswered clarifications with the time their human-answer wait runs out."""
    if state.phase not in (Phase.CLARIFYING, Phase.DESIGN):
        return []
    return [
        (c.id, c.asked_at + HUMAN_ANSWER_TIMEOUT_SECS)
        for c in state.clarifications
        if c.answer is None
    ]


def followup_mark_at(state: RoomState) -> float | None:
    """When the design phase is half over; None when it is not a timed design phase."""
    if state.phase != Phase.DESIGN or state.deadline is None or Phase.DESIGN not in state.durations:
        return None
    return state.deadline - state.durations[Phase.DESIGN] * (1 - FOLLOWUP_MARK_SHARE)


def followup_due(state: RoomState) -> tuple[FollowupAsk, float] | None:
    """The system follow-up the room waits for and since when: a request, else the half-time
    mark once (any system follow-up asked after the mark counts); none while one is open."""
    if state.phase != Phase.DESIGN:
        return None
    asked = [f for f in state.followups if f.origin != "interviewer"]
    if len(asked) >= MAX_SYSTEM_FOLLOWUPS or any(f.answer is None for f in asked):
        return None
    if state.followup_requested_at is not None:
        return FollowupAsk(trigger="request"), state.followup_requested_at
    mark = followup_mark_at(state)
    if mark is None or any(f.asked_at >= mark for f in asked):
        return None
    return FollowupAsk(trigger="time"), mark


def _followup_timer(state: RoomState, now: float) -> list[Command]:
    due = followup_due(state)
    if due is None or now < due[1] or (state.deadline is not None and now >= state.deadline):
        return []
    return [due[0]]


def due_timers(state: RoomState, now: float) -> list[Command]:
    """The timer commands due at ``now``; past the deadline only the expiry is due."""
    fallbacks: list[Command] = [
        ClarificationTimeout(clarification_id=cid) for cid, at in _pending(state) if now >= at
    ]
    return fallbacks + _followup_timer(state, now) + _phase_timer(state, now)


def next_due_at(state: RoomState) -> float | None:
    """When the room next needs a timer command, or None if it never will as things stand."""
    times = [at for _, at in _pending(state)]
    if (followup := followup_due(state)) is not None:
        times.append(followup[1])
    if state.deadline is not None and state.phase in state.durations:
        times.append(state.deadline)
        if not state.warned:
            times.append(warning_at(state.deadline, state.durations[state.phase]))
    return min(times) if times else None
