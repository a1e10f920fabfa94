"""The phase table and the command table: which transitions exist, which command is legal in
which phase for which role."""

from __future__ import annotations

import itertools

import msgspec
import pytest
from msgspec.structs import replace

from domain import commands as c
from domain import events as e
from domain.decide import CLIENT_COMMAND_TYPES, COMMANDS
from domain.errors import IllegalInPhase, RoleForbidden
from domain.phases import TERMINAL, TRANSITIONS, Phase, check_transition
from domain.room import decide, evolve_all, fold, start
from domain.state import RoomState
from tests.unit.samples import STORED_EVALUATION

T0 = 1_700_000_000.0
RESULT = STORED_EVALUATION

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
    "followup": c.Followup("What happens when a floor's sensors go offline?"),
    "followup_request": c.FollowupRequest(),
    "followup_answer": c.FollowupAnswer("f1", "Spots on that floor are marked unknown."),
    "followup_ask": c.FollowupAsk("time", "How do two gates avoid selling one spot?"),
    "join": c.Join("u-new", "observer", "Ada"),
    "leave": c.Leave("u-cand"),
    "timer_warn": c.TimerWarn(Phase.CLARIFYING),
    "timer_expire": c.TimerExpire(Phase.CLARIFYING),
    "clarification_timeout": c.ClarificationTimeout("c1"),
    "evaluation_start": c.EvaluationStart("offline-rubric"),
    "evaluation_delta": c.EvaluationDelta("Strengths: ..."),
    "evaluation_complete": c.EvaluationComplete(RESULT),
    "evaluation_fail": c.EvaluationFail("llm timeout"),
}
ACTORS = {role: c.Actor(f"u-{role}", role) for role in c.Role}


def state_in(phase: Phase) -> RoomState:
    """A human-answered room with one pending clarification and an interviewer's open
    follow-up, forced into ``phase``."""
    log = start("s1", "q1", "timed", {"clarifying": 300, "design": 900}, 3, T0, "human")
    state = fold(log)
    asked = decide(state, c.Clarify("Cash?"), ACTORS[c.Role.CANDIDATE], T0 + 1)
    followup = e.FollowupAsked(
        "f1", "Why one gate?", "u-observer", "interviewer", "interviewer", T0
    )
    return replace(evolve_all(state, [*asked, followup]), phase=phase)


def test_tables_cover_every_command_and_phase() -> None:
    assert set(SAMPLES) == set(COMMANDS)
    assert all(type(SAMPLES[tag]) is rule.command for tag, rule in COMMANDS.items())
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


@pytest.mark.parametrize(("phase", "kind"), list(itertools.product(Phase, sorted(COMMANDS))))
def test_command_legal_iff_in_table(phase: Phase, kind: str) -> None:
    state = state_in(phase)
    before = msgspec.json.encode(state)
    actor = ACTORS[COMMANDS[kind].role]
    if phase in COMMANDS[kind].phases:
        decide(state, SAMPLES[kind], actor, T0 + 10)  # raises nothing
    else:
        with pytest.raises(IllegalInPhase) as caught:
            decide(state, SAMPLES[kind], actor, T0 + 10)
        assert caught.value.code == "phase_illegal"
        assert caught.value.fields == {"phase": str(phase), "command": kind}
    assert msgspec.json.encode(state) == before


@pytest.mark.parametrize("kind", sorted(COMMANDS))
def test_only_the_tables_role_may_issue_a_command(kind: str) -> None:
    state = state_in(next(iter(COMMANDS[kind].phases)))
    for role, actor in ACTORS.items():
        if role == COMMANDS[kind].role:
            continue
        with pytest.raises(RoleForbidden) as caught:
            decide(state, SAMPLES[kind], actor, T0 + 10)
        assert caught.value.fields == {"role": str(role), "command": kind}


def test_clients_may_send_exactly_the_candidate_and_observer_commands() -> None:
    assert {tag for tag, rule in COMMANDS.items() if rule.role != c.Role.SYSTEM} == set(
        CLIENT_COMMAND_TYPES
    )
    assert "timer_expire" not in CLIENT_COMMAND_TYPES and "clarify" in CLIENT_COMMAND_TYPES
