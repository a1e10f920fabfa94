"""The room: ``start`` (its opening events), ``decide`` (command -> events, from the command
table in ``domain.decide``) and ``evolve`` (event -> state).

API: ``start(...)`` returns the opening events, ``fold(events)`` builds the state, then for
each command ``events = decide(state, command, actor, now, rules)`` and
``state = evolve_all(state, events)``. Everything here is pure: no I/O, no clock, no
randomness; a command that raises a DomainError emits nothing and changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from msgspec.structs import replace

from domain import commands as c
from domain import events as e
from domain.decide import decide
from domain.errors import InvalidCommand
from domain.phases import Phase
from domain.state import Clarification, Followup, Presence, Remark, RoomState
from domain.timers import TIMED_PHASES, validate_durations

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

__all__ = ["decide", "evolve", "evolve_all", "fold", "initial_state", "start"]


def start(
    session_id: str,
    question_id: str,
    mode: e.Mode,
    durations: Mapping[str, int],
    max_clarifications: int,
    now: float,
    answer_mode: e.AnswerModeName = "rules",
) -> list[e.Event]:
    """The opening events of a room (just ``session.started``); raises InvalidCommand."""
    clean = validate_durations(durations)
    if mode not in ("timed", "untimed"):
        raise InvalidCommand(f"unknown mode {mode!r}", field="mode")
    if mode == "timed" and set(clean) != set(TIMED_PHASES):
        raise InvalidCommand(
            "a timed session needs a budget for every timed phase", field="durations"
        )
    if max_clarifications < 0:
        raise InvalidCommand("max_clarifications must not be negative", field="max_clarifications")
    if answer_mode not in c.ANSWER_MODES:
        raise InvalidCommand(f"unknown answer mode {answer_mode!r}", field="answer_mode")
    deadline = now + clean[Phase.CLARIFYING] if mode == "timed" else None
    return [
        e.SessionStarted(
            session_id, question_id, mode, clean, max_clarifications, answer_mode, now, deadline
        )
    ]


# ---------------------------------------------------------------- evolve


def initial_state(event: e.SessionStarted) -> RoomState:
    return RoomState(
        session_id=event.session_id,
        question_id=event.question_id,
        phase=Phase.CLARIFYING,
        mode=event.mode,
        durations=dict(event.durations),
        max_clarifications=event.max_clarifications,
        answer_mode=event.answer_mode,
        started_at=event.at,
        deadline=event.deadline,
    )


def _answered(state: RoomState, ev: e.ClarificationAnswered) -> RoomState:
    updated = tuple(
        replace(
            x,
            answer=ev.answer,
            answered_by=ev.answered_by,
            rule_intent=ev.rule_intent,
            confidence=ev.confidence,
        )
        if x.id == ev.clarification_id
        else x
        for x in state.clarifications
    )
    return replace(state, clarifications=updated)


def _followup_asked(state: RoomState, ev: e.FollowupAsked) -> RoomState:
    followup = Followup(
        ev.followup_id, ev.question, ev.asked_by, ev.at, ev.origin, ev.trigger, ev.section
    )
    requested = None if ev.trigger == "request" else state.followup_requested_at
    return replace(state, followups=(*state.followups, followup), followup_requested_at=requested)


def _followup_answered(state: RoomState, ev: e.FollowupAnswered) -> RoomState:
    updated = tuple(
        replace(f, answer=ev.text, answered_at=ev.at) if f.id == ev.followup_id else f
        for f in state.followups
    )
    return replace(state, followups=updated)


def _left(state: RoomState, ev: e.PresenceLeft) -> RoomState:
    return replace(state, presence={k: v for k, v in state.presence.items() if k != ev.user_id})


_EVOLVERS: dict[type, Callable[[RoomState, Any], RoomState]] = {
    e.SessionStarted: lambda s, ev: initial_state(ev),
    e.ClarificationAsked: lambda s, ev: replace(
        s,
        clarifications=(
            *s.clarifications,
            Clarification(ev.clarification_id, ev.question, ev.by, ev.at),
        ),
    ),
    e.ClarificationAnswered: _answered,
    e.PhaseChanged: lambda s, ev: replace(
        s, phase=Phase(ev.to_phase), deadline=ev.deadline, warned=False
    ),
    e.DraftUpdated: lambda s, ev: replace(s, draft={**s.draft, ev.section: ev.text}),
    e.TimerWarning: lambda s, ev: replace(s, warned=True),
    e.PresenceJoined: lambda s, ev: replace(
        s, presence={**s.presence, ev.user_id: Presence(ev.role, ev.name)}
    ),
    e.PresenceLeft: _left,
    e.HintGiven: lambda s, ev: replace(s, hints=(*s.hints, Remark(ev.text, ev.by))),
    e.NoteAdded: lambda s, ev: replace(s, notes=(*s.notes, Remark(ev.text, ev.by))),
    e.AnswerModeChanged: lambda s, ev: replace(s, answer_mode=ev.mode),
    e.FollowupRequested: lambda s, ev: replace(s, followup_requested_at=ev.at),
    e.FollowupAsked: _followup_asked,
    e.FollowupAnswered: _followup_answered,
    e.SolutionSubmitted: lambda s, ev: replace(s, draft=dict(ev.draft), submitted_at=ev.at),
    e.SessionAbandoned: lambda s, ev: s,  # the phase.changed that follows carries the effect
    e.EvaluationStarted: lambda s, ev: replace(
        s, evaluator=ev.evaluator, evaluation_text="", evaluation=None, failure=None
    ),
    e.EvaluationDeltaStreamed: lambda s, ev: replace(
        s, evaluation_text=s.evaluation_text + ev.text
    ),
    e.EvaluationCompleted: lambda s, ev: replace(s, evaluation=ev.result),
    e.EvaluationFailed: lambda s, ev: replace(s, failure=ev.reason),
}


def evolve(state: RoomState, event: e.Event) -> RoomState:
    """The state after ``event``; events are facts, so this never raises for a decided one."""
    return _EVOLVERS[type(event)](state, event)


def evolve_all(state: RoomState, events: Iterable[e.Event]) -> RoomState:
    for event in events:
        state = evolve(state, event)
    return state


def fold(events: Iterable[e.Event]) -> RoomState:
    """Rebuild a room from its whole log, which starts with ``session.started``."""
    iterator = iter(events)
    first = next(iterator, None)
    if not isinstance(first, e.SessionStarted):
        raise ValueError("a room's event log must start with session.started")
    return evolve_all(initial_state(first), iterator)
