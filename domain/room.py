"""The room: state, ``decide`` (command -> events) and ``evolve`` (event -> state).

API: ``start(...)`` returns the opening events, ``fold(events)`` builds the state, then for
each command ``events = decide(state, command, actor, now, rules)`` and
``state = evolve_all(state, events)``. Everything here is pure: no I/O, no clock, no
randomness; a command that raises a DomainError emits nothing and changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import msgspec
from msgspec.structs import replace

from domain import commands as c
from domain import events as e
from domain.clarify import ClarificationRule, answer_for
from domain.commands import DEFAULT_LANGUAGE, SECTIONS, Actor, Role
from domain.errors import (
    AlreadyAnswered,
    ClarificationBudgetExhausted,
    InvalidCommand,
    RoleForbidden,
    UnknownClarification,
)
from domain.phases import COMMANDS_ALLOWED, Phase, check_command_allowed, check_transition
from domain.timers import TIMED_PHASES, due_timers, validate_durations

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence


class Clarification(msgspec.Struct, frozen=True):
    id: str
    question: str
    asked_by: str
    asked_at: float
    answer: str | None = None
    answered_by: str | None = None
    rule_intent: str | None = None


class Presence(msgspec.Struct, frozen=True):
    role: str
    name: str


class Remark(msgspec.Struct, frozen=True):
    """A hint or a private note from an observer."""

    text: str
    by: str


def _empty_draft() -> dict[str, str]:
    return {section: "" for section in SECTIONS} | {"language": DEFAULT_LANGUAGE}


class RoomState(msgspec.Struct, frozen=True):
    session_id: str
    question_id: str
    phase: Phase
    mode: e.Mode
    durations: dict[str, int]
    max_clarifications: int
    answer_mode: e.AnswerModeName
    started_at: float
    deadline: float | None = None  # of the current phase; None when untimed or not timed
    warned: bool = False  # timer.warning already emitted for the current phase
    clarifications: tuple[Clarification, ...] = ()
    draft: dict[str, str] = msgspec.field(default_factory=_empty_draft)
    presence: dict[str, Presence] = msgspec.field(default_factory=dict)
    hints: tuple[Remark, ...] = ()
    notes: tuple[Remark, ...] = ()
    evaluator: str | None = None
    evaluation_text: str = ""
    evaluation: dict[str, Any] | None = None
    failure: str | None = None
    submitted_at: float | None = None

    def state_for(self, role: Role | str) -> RoomState:
        """The state as ``role`` may see it: candidates never see private notes."""
        return replace(self, notes=()) if role == Role.CANDIDATE else self


def clarifications_left(state: RoomState) -> int:
    return max(0, state.max_clarifications - len(state.clarifications))


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


# ---------------------------------------------------------------- decide


class _Ctx(NamedTuple):
    actor: Actor
    now: float
    rules: Sequence[ClarificationRule]


def decide(
    state: RoomState,
    command: c.Command,
    actor: Actor,
    now: float,
    rules: Sequence[ClarificationRule] = (),
) -> list[e.Event]:
    """Events for ``command``: role, then phase table, then fields, then the rule itself."""
    kind = c.command_type(command)
    if actor.role != c.REQUIRED_ROLE[kind]:
        raise RoleForbidden(f"{actor.role} may not {kind}", role=str(actor.role), command=kind)
    check_command_allowed(kind, state.phase)
    c.validate_command(command)
    return _DECIDERS[type(command)](state, command, _Ctx(actor, now, rules))


def _deadline(state: RoomState, phase: Phase, now: float) -> float | None:
    if state.mode != "timed" or phase not in state.durations:
        return None
    return now + state.durations[phase]


def _move(state: RoomState, to: Phase, reason: e.PhaseReason, now: float) -> e.PhaseChanged:
    check_transition(state.phase, to)
    return e.PhaseChanged(state.phase.value, to.value, reason, _deadline(state, to, now))


def _find(state: RoomState, clarification_id: str) -> Clarification:
    for clarification in state.clarifications:
        if clarification.id == clarification_id:
            return clarification
    raise UnknownClarification(
        f"no clarification {clarification_id!r}", clarification_id=clarification_id
    )


def _clarify(state: RoomState, cmd: c.Clarify, ctx: _Ctx) -> list[e.Event]:
    used = len(state.clarifications)
    if used >= state.max_clarifications:
        raise ClarificationBudgetExhausted(
            "no clarifications left", used=used, max_clarifications=state.max_clarifications
        )
    cid = f"c{used + 1}"
    asked = e.ClarificationAsked(cid, cmd.question, ctx.actor.user_id, ctx.now)
    if state.answer_mode == "human":
        return [asked]  # pending; the server arms a ClarificationTimeout fallback
    text, intent = answer_for(cmd.question, ctx.rules)
    return [asked, e.ClarificationAnswered(cid, text, "rules", intent)]


def _answer(state: RoomState, cmd: c.Answer, ctx: _Ctx) -> list[e.Event]:
    clarification = _find(state, cmd.clarification_id)
    if clarification.answer is not None:
        raise AlreadyAnswered(
            f"{clarification.id} is already answered", clarification_id=clarification.id
        )
    return [e.ClarificationAnswered(clarification.id, cmd.text, "human")]


def _clarification_timeout(
    state: RoomState, cmd: c.ClarificationTimeout, ctx: _Ctx
) -> list[e.Event]:
    clarification = _find(state, cmd.clarification_id)
    if clarification.answer is not None or state.phase not in COMMANDS_ALLOWED["answer"]:
        return []
    text, intent = answer_for(clarification.question, ctx.rules)
    return [e.ClarificationAnswered(clarification.id, text, "fallback", intent)]


def _advance(state: RoomState, cmd: c.Advance, ctx: _Ctx) -> list[e.Event]:
    return [_move(state, Phase.DESIGN, "candidate", ctx.now)]


def _draft(state: RoomState, cmd: c.Draft, ctx: _Ctx) -> list[e.Event]:
    if state.draft.get(cmd.section) == cmd.text:
        return []  # re-sending the same text is a no-op, so retries add nothing to the log
    return [e.DraftUpdated(cmd.section, cmd.text)]


def _submit_events(state: RoomState, reason: e.SubmitReason, now: float) -> list[e.Event]:
    submitted = e.SolutionSubmitted(reason, dict(state.draft), now)
    return [submitted, _move(state, Phase.SUBMITTED, reason, now)]


def _submit(state: RoomState, cmd: c.Submit, ctx: _Ctx) -> list[e.Event]:
    return _submit_events(state, "candidate", ctx.now)


def _abandon(state: RoomState, cmd: c.Abandon, ctx: _Ctx) -> list[e.Event]:
    return [
        e.SessionAbandoned(ctx.actor.user_id),
        _move(state, Phase.ABANDONED, "candidate", ctx.now),
    ]


def _hint(state: RoomState, cmd: c.Hint, ctx: _Ctx) -> list[e.Event]:
    return [e.HintGiven(cmd.text, ctx.actor.user_id)]


def _note(state: RoomState, cmd: c.Note, ctx: _Ctx) -> list[e.Event]:
    return [e.NoteAdded(cmd.text, ctx.actor.user_id)]


def _answer_mode(state: RoomState, cmd: c.AnswerMode, ctx: _Ctx) -> list[e.Event]:
    if cmd.mode == state.answer_mode:
        return []
    mode: e.AnswerModeName = "human" if cmd.mode == "human" else "rules"
    return [e.AnswerModeChanged(mode, ctx.actor.user_id)]


def _join(state: RoomState, cmd: c.Join, ctx: _Ctx) -> list[e.Event]:
    if cmd.user_id in state.presence:
        return []
    return [e.PresenceJoined(cmd.user_id, cmd.role, cmd.name)]


def _leave(state: RoomState, cmd: c.Leave, ctx: _Ctx) -> list[e.Event]:
    return [e.PresenceLeft(cmd.user_id)] if cmd.user_id in state.presence else []


def _timer_warn(state: RoomState, cmd: c.TimerWarn, ctx: _Ctx) -> list[e.Event]:
    # A timer takes effect only if it is due right now: stale, repeated or early ones yield
    # nothing (the server's next poll re-issues an early one), so firing is exactly-once.
    if cmd not in due_timers(state, ctx.now) or state.deadline is None:
        return []
    return [e.TimerWarning(cmd.phase, state.deadline)]


def _timer_expire(state: RoomState, cmd: c.TimerExpire, ctx: _Ctx) -> list[e.Event]:
    if cmd not in due_timers(state, ctx.now):
        return []
    if state.phase == Phase.CLARIFYING:
        return [_move(state, Phase.DESIGN, "timer", ctx.now)]
    return _submit_events(state, "timer", ctx.now)


def _evaluation_start(state: RoomState, cmd: c.EvaluationStart, ctx: _Ctx) -> list[e.Event]:
    started = e.EvaluationStarted(cmd.evaluator)
    if state.phase == Phase.EVALUATING:
        return [started]  # a restarted job begins a fresh stream
    return [_move(state, Phase.EVALUATING, "system", ctx.now), started]


def _evaluation_delta(state: RoomState, cmd: c.EvaluationDelta, ctx: _Ctx) -> list[e.Event]:
    return [e.EvaluationDeltaStreamed(cmd.text)] if cmd.text else []


def _evaluation_complete(state: RoomState, cmd: c.EvaluationComplete, ctx: _Ctx) -> list[e.Event]:
    return [
        e.EvaluationCompleted(dict(cmd.result)),
        _move(state, Phase.EVALUATED, "system", ctx.now),
    ]


def _evaluation_fail(state: RoomState, cmd: c.EvaluationFail, ctx: _Ctx) -> list[e.Event]:
    return [e.EvaluationFailed(cmd.reason), _move(state, Phase.SUBMITTED, "system", ctx.now)]


_DECIDERS: dict[type, Callable[[RoomState, Any, _Ctx], list[e.Event]]] = {
    c.Clarify: _clarify,
    c.Advance: _advance,
    c.Draft: _draft,
    c.Submit: _submit,
    c.Abandon: _abandon,
    c.Answer: _answer,
    c.Hint: _hint,
    c.Note: _note,
    c.AnswerMode: _answer_mode,
    c.Join: _join,
    c.Leave: _leave,
    c.TimerWarn: _timer_warn,
    c.TimerExpire: _timer_expire,
    c.ClarificationTimeout: _clarification_timeout,
    c.EvaluationStart: _evaluation_start,
    c.EvaluationDelta: _evaluation_delta,
    c.EvaluationComplete: _evaluation_complete,
    c.EvaluationFail: _evaluation_fail,
}


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
        replace(x, answer=ev.answer, answered_by=ev.answered_by, rule_intent=ev.rule_intent)
        if x.id == ev.clarification_id
        else x
        for x in state.clarifications
    )
    return replace(state, clarifications=updated)


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
    e.SolutionSubmitted: lambda s, ev: replace(s, draft=dict(ev.draft), submitted_at=ev.at),
    e.SessionAbandoned: lambda s, ev: s,  # the phase.changed that follows carries the effect
    e.EvaluationStarted: lambda s, ev: replace(
        s, evaluator=ev.evaluator, evaluation_text="", evaluation=None, failure=None
    ),
    e.EvaluationDeltaStreamed: lambda s, ev: replace(
        s, evaluation_text=s.evaluation_text + ev.text
    ),
    e.EvaluationCompleted: lambda s, ev: replace(s, evaluation=dict(ev.result)),
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
