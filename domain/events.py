"""Events: the facts a room's append-only log is made of.

Room state is a fold over these (``domain.room.fold``). Each event has a dotted ``type`` tag
and an audience (``audience``): observers' private notes never reach the candidate.
"""

from __future__ import annotations

from typing import Literal, TypeAlias

import msgspec

from domain.evaluation import StoredEvaluation

Mode = Literal["timed", "untimed"]
AnswerModeName = Literal["rules", "human"]
AnsweredBy = Literal["rules", "human", "fallback"]
PhaseReason = Literal["candidate", "timer", "system"]
SubmitReason = Literal["candidate", "timer"]
Audience = Literal["all", "observers"]
# Who wrote a follow-up question: a human interviewer, the offline probes of the question's
# rubric, or the model.
FollowupOrigin = Literal["interviewer", "rubric", "model"]
SystemFollowupOrigin = Literal["rubric", "model"]
# Why it was asked: an interviewer typed it, the candidate asked for one, the design phase's
# half-time mark passed.
FollowupTrigger = Literal["interviewer", "request", "time"]


class _Event(msgspec.Struct, frozen=True, tag_field="type", forbid_unknown_fields=True):
    pass


class SessionStarted(_Event, frozen=True, tag="session.started"):
    session_id: str
    question_id: str
    mode: Mode
    durations: dict[str, int]
    max_clarifications: int
    answer_mode: AnswerModeName
    at: float
    deadline: float | None  # of the clarifying phase; None when untimed


class ClarificationAsked(_Event, frozen=True, tag="clarification.asked"):
    clarification_id: str
    question: str
    by: str
    at: float


class ClarificationAnswered(_Event, frozen=True, tag="clarification.answered"):
    clarification_id: str
    answer: str
    answered_by: AnsweredBy
    rule_intent: str | None = None
    # How sure the matcher was of `rule_intent` (or of no rule applying), 0..1; None for humans.
    confidence: float | None = None


class PhaseChanged(_Event, frozen=True, tag="phase.changed"):
    from_phase: str
    to_phase: str
    reason: PhaseReason
    deadline: float | None = None


class DraftUpdated(_Event, frozen=True, tag="draft.updated"):
    section: str
    text: str


class TimerWarning(_Event, frozen=True, tag="timer.warning"):
    phase: str
    deadline: float


class PresenceJoined(_Event, frozen=True, tag="presence.joined"):
    user_id: str
    role: str
    name: str


class PresenceLeft(_Event, frozen=True, tag="presence.left"):
    user_id: str


class HintGiven(_Event, frozen=True, tag="hint.given"):
    text: str
    by: str


class NoteAdded(_Event, frozen=True, tag="note.added"):
    text: str
    by: str


class AnswerModeChanged(_Event, frozen=True, tag="answer_mode.changed"):
    mode: AnswerModeName
    by: str


class FollowupRequested(_Event, frozen=True, tag="followup.requested"):
    by: str
    at: float


class FollowupAsked(_Event, frozen=True, tag="followup.asked"):
    followup_id: str
    question: str
    asked_by: str  # the interviewer's user id, or "system"
    origin: FollowupOrigin
    trigger: FollowupTrigger
    at: float
    # The solution section the question probes (the rubric's probes); an answer counts there.
    section: str | None = None


class FollowupAnswered(_Event, frozen=True, tag="followup.answered"):
    followup_id: str
    text: str
    by: str
    at: float


class SolutionSubmitted(_Event, frozen=True, tag="solution.submitted"):
    reason: SubmitReason
    draft: dict[str, str]
    at: float


class SessionAbandoned(_Event, frozen=True, tag="session.abandoned"):
    by: str


class EvaluationStarted(_Event, frozen=True, tag="evaluation.started"):
    evaluator: str


class EvaluationDeltaStreamed(_Event, frozen=True, tag="evaluation.delta"):
    text: str


class EvaluationCompleted(_Event, frozen=True, tag="evaluation.completed"):
    result: StoredEvaluation


class EvaluationFailed(_Event, frozen=True, tag="evaluation.failed"):
    reason: str


Event: TypeAlias = (
    SessionStarted
    | ClarificationAsked
    | ClarificationAnswered
    | PhaseChanged
    | DraftUpdated
    | TimerWarning
    | PresenceJoined
    | PresenceLeft
    | HintGiven
    | NoteAdded
    | AnswerModeChanged
    | FollowupRequested
    | FollowupAsked
    | FollowupAnswered
    | SolutionSubmitted
    | SessionAbandoned
    | EvaluationStarted
    | EvaluationDeltaStreamed
    | EvaluationCompleted
    | EvaluationFailed
)

_encoder = msgspec.json.Encoder()
_decoder: msgspec.json.Decoder[Event] = msgspec.json.Decoder(Event)


def audience(event: Event) -> Audience:
    """Who may receive the event: notes are private to observers, everything else is public."""
    return "observers" if isinstance(event, NoteAdded) else "all"


def event_type(event: Event) -> str:
    """The event's dotted ``type`` tag, e.g. ``"phase.changed"``."""
    tag = event.__struct_config__.tag
    assert isinstance(tag, str)
    return tag


def encode_event(event: Event) -> bytes:
    return _encoder.encode(event)


def decode_event(data: bytes | str) -> Event:
    return _decoder.decode(data)
