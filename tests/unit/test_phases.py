"""The phase tables: which transitions exist and which command is legal in which phase."""

from __future__ import annotations

import itertools

import msgspec
import pytest
from msgspec.structs import replace

from domain import commands as c
from domain.errors import IllegalInPhase
from domain.phases import (
    COMMANDS_ALLOWED,
    TERMINAL,
    TRANSITIONS,
    Phase,
    check_transition,
)
from domain.room import RoomState, decide, evolve_all, fold, start

T0 = 1_700_000_000.0

# One valid example of every command type.
SAMPLES: dict[str, c.Command] = {
    "clarify": c.Clarify("How do people pay?"),
    "advance": c.Advance("design"),
    "draft": c.Draft("entities", "Vehicle, Spot"),
    "submit": c.Submit(),
    "abandon": c.Abandon(),
    "answer": c.Answer("c1", "Cards only."),
    "hint": c.Hint("Think about concurrency."),
    "note": c.Note("Good structure so far."),
    "answer_mode": c.AnswerMode("rules"),
    "join": c.Join("u-new", "observer", "Ada"),
    "leave": c.Leave("u-cand"),
    "timer_warn": c.TimerWarn("clarifying"),
    "timer_expire": c.TimerExpire("clarifying"),
    "clarification_timeout": c.ClarificationTimeout("c1"),
    "evaluation_start": c.EvaluationStart("offline-rubric"),
    "evaluation_delta": c.EvaluationDelta("Strengths: ..."),
    "evaluation_complete": c.EvaluationComplete({"score": 7}),
    "evaluation_fail": c.EvaluationFail("llm timeout"),
}
ACTORS = {role: c.Actor(f"u-{role}", role) for role in c.Role}


def state_in(phase: Phase) -> RoomState:
    """A human-answered room with one pending clarification, forced into ``phase``."""
    log = start("s1", "q1", "timed", {"clarifying": 300, "design": 900}, 3, T0, "human")
    state = fold(log)
    asked = decide(state, c.Clarify("Cash?"), ACTORS[c.Role.CANDIDATE], T0 + 1)
    return replace(evolve_all(state, asked), phase=phase)


def test_tables_cover_every_command_and_phase() -> None:
    assert set(SAMPLES) == set(COMMANDS_ALLOWED) == set(c.REQUIRED_ROLE)
    assert set(TRANSITIONS) == set(Phase)
    assert all(TRANSITIONS[phase] == frozenset() for phase in TERMINAL)


def test_every_phase_is_reachable_from_clarifying() -> None:
    seen, frontier = {Phase.CLARIFYING}, [Phase.CLARIFYING]
    while frontier:
        for nxt in TRANSITIONS[frontier.pop()] - seen:
            seen.add(nxt)
            frontier.append(nxt)
    assert seen == set(Phase)


@pytest.mark.parametrize(("src", "dst"), list(itertools.product(Phase, Phase)))
def test_check_transition(src: Phase, dst: Phase) -> None:
    if dst in TRANSITIONS[src]:
        check_transition(src, dst)
    else:
        with pytest.raises(IllegalInPhase):
            check_transition(src, dst)


@pytest.mark.parametrize(
    ("phase", "kind"), list(itertools.product(Phase, sorted(COMMANDS_ALLOWED)))
)
def test_command_legal_iff_in_table(phase: Phase, kind: str) -> None:
    state = state_in(phase)
    before = msgspec.json.encode(state)
    actor = ACTORS[c.REQUIRED_ROLE[kind]]
    if phase in COMMANDS_ALLOWED[kind]:
        decide(state, SAMPLES[kind], actor, T0 + 10)  # raises nothing
    else:
        with pytest.raises(IllegalInPhase) as caught:
            decide(state, SAMPLES[kind], actor, T0 + 10)
        assert caught.value.code == "phase_illegal"
        assert caught.value.fields == {"phase": str(phase), "command": kind}
    assert msgspec.json.encode(state) == before
