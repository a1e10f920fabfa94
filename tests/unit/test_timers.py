"""Deadlines, warnings and which timer commands are due."""

from __future__ import annotations

import pytest
from msgspec.structs import replace

from domain import commands as c
from domain.errors import InvalidCommand
from domain.events import Mode
from domain.phases import Phase
from domain.room import RoomState, decide, evolve_all, fold, start
from domain.timers import (
    MAX_PHASE_SECS,
    MIN_PHASE_SECS,
    due_timers,
    validate_durations,
    warning_at,
)

T0 = 1_700_000_000.0
SYSTEM = c.Actor("server", c.Role.SYSTEM)


def room(mode: Mode = "timed") -> RoomState:
    return fold(start("s1", "q1", mode, {"clarifying": 300, "design": 100}, 3, T0))


@pytest.mark.parametrize(
    ("deadline", "duration", "expected"),
    [
        (1000.0, 1800, 940.0),  # long phase: a minute's warning
        (1000.0, 300, 940.0),  # 20% of 300 s is exactly 60 s
        (1000.0, 100, 980.0),  # short phase: 20% of the budget
        (1000.0, 10, 998.0),
    ],
)
def test_warning_at(deadline: float, duration: int, expected: float) -> None:
    assert warning_at(deadline, duration) == expected


@pytest.mark.parametrize(
    "durations",
    [
        {"clarifying": MIN_PHASE_SECS - 1},
        {"design": MAX_PHASE_SECS + 1},
        {"evaluating": 60},
        {"design": 60.5},
        {"design": True},
    ],
)
def test_validate_durations_rejects(durations: dict[str, int]) -> None:
    with pytest.raises(InvalidCommand):
        validate_durations(durations)


def test_validate_durations_accepts_bounds_and_copies() -> None:
    given = {"clarifying": MIN_PHASE_SECS, "design": MAX_PHASE_SECS}
    clean = validate_durations(given)
    assert clean == given and clean is not given
    assert validate_durations({}) == {}


@pytest.mark.parametrize(
    ("offset", "warned", "expected"),
    [
        (0, False, []),
        (239, False, []),
        (240, False, [c.TimerWarn("clarifying")]),
        (240, True, []),
        (299.9, False, [c.TimerWarn("clarifying")]),
        (300, False, [c.TimerExpire("clarifying")]),  # past the deadline only expiry is due
        (900, True, [c.TimerExpire("clarifying")]),
    ],
)
def test_due_timers(offset: float, warned: bool, expected: list[c.Command]) -> None:
    state = replace(room(), warned=warned)
    assert due_timers(state, T0 + offset) == expected


@pytest.mark.parametrize(
    "state",
    [
        room("untimed"),
        replace(room(), phase=Phase.SUBMITTED, deadline=None),
        replace(room(), phase=Phase.EVALUATED, deadline=None),
    ],
)
def test_nothing_due_without_a_deadline(state: RoomState) -> None:
    assert due_timers(state, T0 + 10**6) == []


def test_feeding_due_timers_to_decide_runs_a_silent_session_to_submission() -> None:
    state, now, kinds = room(), T0, []
    while state.phase != Phase.SUBMITTED and now < T0 + 1000:
        now += 5
        for command in due_timers(state, now):
            events = decide(state, command, SYSTEM, now)
            kinds += [type(event).__name__ for event in events]
            state = evolve_all(state, events)
    clarifying_ends = ["TimerWarning", "PhaseChanged"]
    design_ends = ["TimerWarning", "SolutionSubmitted", "PhaseChanged"]
    assert kinds == clarifying_ends + design_ends
    assert state.phase == Phase.SUBMITTED
    assert due_timers(state, now + 10**6) == []
