"""Deciding a command: the one command table, and a decide function per command.

``COMMANDS`` holds everything about a command, keyed by its ``type`` tag: its struct, the one
role that may issue it, the phases in which it is legal, and the function that turns it into
events. The role checks, the phase checks, the client decoder and the list of client command
types all derive from it; a new command is one row plus its decide function. Everything here is
pure: no I/O, no clock (``now`` is given), and a command that raises emits nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, Union

import msgspec

from domain import commands as c
from domain import events as e
from domain.clarify import ClarificationRule, Match, lexical_match
from domain.commands import Actor, Role
from domain.errors import (
    AlreadyAnswered,
    ClarificationBudgetExhausted,
    FollowupAlreadyAnswered,
    FollowupLimitReached,
    FollowupPending,
    IllegalInPhase,
    RoleForbidden,
    UnknownClarification,
    UnknownFollowup,
)
from domain.phases import ALL_PHASES, NON_TERMINAL, Phase, check_transition
from domain.state import system_followups
from domain.timers import due_timers, followup_due

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from domain.state import Clarification, Followup, RoomState


class Context(NamedTuple):
    actor: Actor
    now: float
    rules: Sequence[ClarificationRule]
    # Answers a matcher worked out before deciding, by question text; the rest are matched here.
    matches: Mapping[str, Match]

    def match(self, question: str) -> Match:
        return self.matches.get(question) or lexical_match(question, self.rules)


Decider = Callable[["RoomState", Any, Context], list[e.Event]]


class CommandRule(NamedTuple):
    command: type[c.Command]
    role: Role
    phases: frozenset[Phase]
    decide: Decider


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


# The same question sent again this soon is one question (a double Enter, a resend from a
# second tab): it is not asked twice and costs one clarification.
REPEAT_WINDOW_SECS = 5.0


def _same_question(a: str, b: str) -> bool:
    def norm(text: str) -> str:
        return " ".join(text.casefold().split()).rstrip("?!. ")

    return norm(a) == norm(b)


def _clarify(state: RoomState, cmd: c.Clarify, ctx: Context) -> list[e.Event]:
    last = state.clarifications[-1] if state.clarifications else None
    if (
        last is not None
        and last.asked_by == ctx.actor.user_id
        and ctx.now - last.asked_at <= REPEAT_WINDOW_SECS
        and _same_question(last.question, cmd.question)
    ):
        return []  # already asked: the answer (or its wait) is the one in the room
    used = len(state.clarifications)
    if used >= state.max_clarifications:
        raise ClarificationBudgetExhausted(
            "no clarifications left", used=used, max_clarifications=state.max_clarifications
        )
    cid = f"c{used + 1}"
    asked = e.ClarificationAsked(cid, cmd.question, ctx.actor.user_id, ctx.now)
    if state.answer_mode == "human":
        return [asked]  # pending; the server arms a ClarificationTimeout fallback
    match = ctx.match(cmd.question)
    return [
        asked,
        e.ClarificationAnswered(cid, match.answer, "rules", match.intent, match.confidence),
    ]


def _answer(state: RoomState, cmd: c.Answer, ctx: Context) -> list[e.Event]:
    clarification = _find(state, cmd.clarification_id)
    if clarification.answer is not None:
        raise AlreadyAnswered(
            f"{clarification.id} is already answered", clarification_id=clarification.id
        )
    return [e.ClarificationAnswered(clarification.id, cmd.text, "human")]


def _clarification_timeout(
    state: RoomState, cmd: c.ClarificationTimeout, ctx: Context
) -> list[e.Event]:
    clarification = _find(state, cmd.clarification_id)
    if clarification.answer is not None or state.phase not in COMMANDS["answer"].phases:
        return []
    match = ctx.match(clarification.question)
    return [
        e.ClarificationAnswered(
            clarification.id, match.answer, "fallback", match.intent, match.confidence
        )
    ]


def _advance(state: RoomState, cmd: c.Advance, ctx: Context) -> list[e.Event]:
    return [_move(state, Phase.DESIGN, "candidate", ctx.now)]


def _draft(state: RoomState, cmd: c.Draft, ctx: Context) -> list[e.Event]:
    if state.draft.get(cmd.section) == cmd.text:
        return []  # re-sending the same text is a no-op, so retries add nothing to the log
    return [e.DraftUpdated(cmd.section, cmd.text)]


def _submit_events(state: RoomState, reason: e.SubmitReason, now: float) -> list[e.Event]:
    submitted = e.SolutionSubmitted(reason, dict(state.draft), now)
    return [submitted, _move(state, Phase.SUBMITTED, reason, now)]


def _submit(state: RoomState, cmd: c.Submit, ctx: Context) -> list[e.Event]:
    return _submit_events(state, "candidate", ctx.now)


def _abandon(state: RoomState, cmd: c.Abandon, ctx: Context) -> list[e.Event]:
    return [
        e.SessionAbandoned(ctx.actor.user_id),
        _move(state, Phase.ABANDONED, "candidate", ctx.now),
    ]


def _hint(state: RoomState, cmd: c.Hint, ctx: Context) -> list[e.Event]:
    return [e.HintGiven(cmd.text, ctx.actor.user_id)]


def _note(state: RoomState, cmd: c.Note, ctx: Context) -> list[e.Event]:
    return [e.NoteAdded(cmd.text, ctx.actor.user_id)]


def _answer_mode(state: RoomState, cmd: c.AnswerMode, ctx: Context) -> list[e.Event]:
    if cmd.mode == state.answer_mode:
        return []
    return [e.AnswerModeChanged(cmd.mode, ctx.actor.user_id)]


def _join(state: RoomState, cmd: c.Join, ctx: Context) -> list[e.Event]:
    if cmd.user_id in state.presence:
        return []
    return [e.PresenceJoined(cmd.user_id, cmd.role, cmd.name)]


def _leave(state: RoomState, cmd: c.Leave, ctx: Context) -> list[e.Event]:
    return [e.PresenceLeft(cmd.user_id)] if cmd.user_id in state.presence else []


def _timer_warn(state: RoomState, cmd: c.TimerWarn, ctx: Context) -> list[e.Event]:
    # A timer takes effect only if it is due right now: stale, repeated or early ones yield
    # nothing (the server's next poll re-issues an early one), so firing is exactly-once.
    if cmd not in due_timers(state, ctx.now) or state.deadline is None:
        return []
    return [e.TimerWarning(str(cmd.phase), state.deadline)]


def _timer_expire(state: RoomState, cmd: c.TimerExpire, ctx: Context) -> list[e.Event]:
    if cmd not in due_timers(state, ctx.now):
        return []
    if state.phase == Phase.CLARIFYING:
        return [_move(state, Phase.DESIGN, "timer", ctx.now)]
    return _submit_events(state, "timer", ctx.now)


def _next_followup_id(state: RoomState) -> str:
    return f"f{len(state.followups) + 1}"


def _followup(state: RoomState, cmd: c.Followup, ctx: Context) -> list[e.Event]:
    fid = _next_followup_id(state)
    return [
        e.FollowupAsked(fid, cmd.text, ctx.actor.user_id, "interviewer", "interviewer", ctx.now)
    ]


def _followup_request(state: RoomState, cmd: c.FollowupRequest, ctx: Context) -> list[e.Event]:
    asked = system_followups(state)
    if len(asked) >= c.MAX_SYSTEM_FOLLOWUPS:
        raise FollowupLimitReached(
            "no follow-up questions left", asked=len(asked), limit=c.MAX_SYSTEM_FOLLOWUPS
        )
    open_ = [f.id for f in asked if f.answer is None]
    if open_ or state.followup_requested_at is not None:
        raise FollowupPending(
            "answer the open follow-up question first"
            if open_
            else "a follow-up question is being written",
            followup_id=open_[0] if open_ else None,
        )
    return [e.FollowupRequested(ctx.actor.user_id, ctx.now)]


def _followup_ask(state: RoomState, cmd: c.FollowupAsk, ctx: Context) -> list[e.Event]:
    # Like a timer: only the ask the room waits for takes effect, once; a stale or repeated
    # one, or one whose question was never written, yields nothing.
    due = followup_due(state)
    if not cmd.text or due is None or due[0].trigger != cmd.trigger or ctx.now < due[1]:
        return []
    fid = _next_followup_id(state)
    return [e.FollowupAsked(fid, cmd.text, "system", cmd.origin, cmd.trigger, ctx.now, cmd.section)]


def _find_followup(state: RoomState, followup_id: str) -> Followup:
    for followup in state.followups:
        if followup.id == followup_id:
            return followup
    raise UnknownFollowup(f"no follow-up question {followup_id!r}", followup_id=followup_id)


def _followup_answer(state: RoomState, cmd: c.FollowupAnswer, ctx: Context) -> list[e.Event]:
    followup = _find_followup(state, cmd.followup_id)
    if followup.answer is not None:
        raise FollowupAlreadyAnswered(f"{followup.id} is already answered", followup_id=followup.id)
    return [e.FollowupAnswered(followup.id, cmd.text, ctx.actor.user_id, ctx.now)]


def _evaluation_start(state: RoomState, cmd: c.EvaluationStart, ctx: Context) -> list[e.Event]:
    started = e.EvaluationStarted(cmd.evaluator)
    if state.phase == Phase.EVALUATING:
        return [started]  # a restarted job begins a fresh stream
    return [_move(state, Phase.EVALUATING, "system", ctx.now), started]


def _evaluation_delta(state: RoomState, cmd: c.EvaluationDelta, ctx: Context) -> list[e.Event]:
    return [e.EvaluationDeltaStreamed(cmd.text)] if cmd.text else []


def _evaluation_complete(
    state: RoomState, cmd: c.EvaluationComplete, ctx: Context
) -> list[e.Event]:
    return [e.EvaluationCompleted(cmd.result), _move(state, Phase.EVALUATED, "system", ctx.now)]


def _evaluation_fail(state: RoomState, cmd: c.EvaluationFail, ctx: Context) -> list[e.Event]:
    return [e.EvaluationFailed(cmd.reason), _move(state, Phase.SUBMITTED, "system", ctx.now)]


_EARLY = frozenset({Phase.CLARIFYING, Phase.DESIGN})
_DESIGN = frozenset({Phase.DESIGN})
_CANDIDATE, _OBSERVER, _SYSTEM = Role.CANDIDATE, Role.OBSERVER, Role.SYSTEM

# type tag -> (struct, the only role that may issue it, phases where it is legal, decide).
# Timer, presence and clarification-timeout commands are legal in every phase because they may
# arrive late: a stale one yields no events rather than an error.
# fmt: off
COMMANDS: dict[str, CommandRule] = {
    "clarify":     CommandRule(c.Clarify, _CANDIDATE, frozenset({Phase.CLARIFYING}), _clarify),
    "advance":     CommandRule(c.Advance, _CANDIDATE, frozenset({Phase.CLARIFYING}), _advance),
    # candidates may take notes while still clarifying
    "draft":       CommandRule(c.Draft, _CANDIDATE, _EARLY, _draft),
    "submit":      CommandRule(c.Submit, _CANDIDATE, frozenset({Phase.DESIGN}), _submit),
    "abandon":     CommandRule(c.Abandon, _CANDIDATE, _EARLY, _abandon),
    # follow-ups are a conversation about the design: open ones stay unanswered after submit
    "followup_request": CommandRule(
        c.FollowupRequest, _CANDIDATE, _DESIGN, _followup_request
    ),
    "followup_answer": CommandRule(c.FollowupAnswer, _CANDIDATE, _DESIGN, _followup_answer),
    "answer":      CommandRule(c.Answer, _OBSERVER, _EARLY, _answer),
    "hint":        CommandRule(c.Hint, _OBSERVER, _EARLY, _hint),
    "followup":    CommandRule(c.Followup, _OBSERVER, _DESIGN, _followup),
    # interviewers keep annotating after the session ends
    "note":        CommandRule(c.Note, _OBSERVER, ALL_PHASES, _note),
    "answer_mode": CommandRule(c.AnswerMode, _OBSERVER, NON_TERMINAL, _answer_mode),
    # people open finished rooms to review them
    "join":        CommandRule(c.Join, _SYSTEM, ALL_PHASES, _join),
    "leave":       CommandRule(c.Leave, _SYSTEM, ALL_PHASES, _leave),
    "timer_warn":  CommandRule(c.TimerWarn, _SYSTEM, ALL_PHASES, _timer_warn),
    "timer_expire": CommandRule(c.TimerExpire, _SYSTEM, ALL_PHASES, _timer_expire),
    # legal in every phase like the timers that yield it; only a due one takes effect
    "followup_ask": CommandRule(c.FollowupAsk, _SYSTEM, ALL_PHASES, _followup_ask),
    "clarification_timeout": CommandRule(
        c.ClarificationTimeout, _SYSTEM, ALL_PHASES, _clarification_timeout
    ),
    # evaluating too: an at-least-once job that restarts after a crash begins a fresh stream
    "evaluation_start": CommandRule(
        c.EvaluationStart, _SYSTEM, frozenset({Phase.SUBMITTED, Phase.EVALUATING}),
        _evaluation_start,
    ),
    "evaluation_delta": CommandRule(
        c.EvaluationDelta, _SYSTEM, frozenset({Phase.EVALUATING}), _evaluation_delta
    ),
    "evaluation_complete": CommandRule(
        c.EvaluationComplete, _SYSTEM, frozenset({Phase.EVALUATING}), _evaluation_complete
    ),
    "evaluation_fail": CommandRule(
        c.EvaluationFail, _SYSTEM, frozenset({Phase.EVALUATING}), _evaluation_fail
    ),
}
# fmt: on
for _tag, _rule in COMMANDS.items():
    assert _rule.command.__struct_config__.tag == _tag, f"row {_tag!r} holds the wrong struct"

# What a client (candidate or observer) may send; the rest only the server builds.
CLIENT_COMMAND_TYPES: frozenset[str] = frozenset(
    tag for tag, rule in COMMANDS.items() if rule.role != Role.SYSTEM
)
_client_union: Any = Union[  # noqa: UP007 - built from the table at run time
    tuple(COMMANDS[tag].command for tag in sorted(CLIENT_COMMAND_TYPES))
]
_client_decoder: msgspec.json.Decoder[c.Command] = msgspec.json.Decoder(_client_union)


def decode_client_command(data: bytes | str) -> c.Command:
    """Decode a client frame; raises msgspec.ValidationError / DecodeError on bad input."""
    return _client_decoder.decode(data)


def decide(
    state: RoomState,
    command: c.Command,
    actor: Actor,
    now: float,
    rules: Sequence[ClarificationRule] = (),
    matches: Mapping[str, Match] | None = None,
) -> list[e.Event]:
    """Events for ``command``: role, then phase, then fields, then the rule itself."""
    kind = c.command_type(command)
    rule = COMMANDS[kind]
    if actor.role != rule.role:
        raise RoleForbidden(f"{actor.role} may not {kind}", role=str(actor.role), command=kind)
    if state.phase not in rule.phases:
        raise IllegalInPhase(
            f"{kind} is not allowed in phase {state.phase}", phase=str(state.phase), command=kind
        )
    c.validate_command(command)
    return rule.decide(state, command, Context(actor, now, rules, matches or {}))
