"""A room's state: what a fold over its events holds, and what each role may see of it."""

from __future__ import annotations

import msgspec
from msgspec.structs import replace

from domain import events as e
from domain.commands import Role
from domain.evaluation import StoredEvaluation
from domain.phases import Phase
from domain.solution import empty_draft


class Clarification(msgspec.Struct, frozen=True):
    id: str
    question: str
    asked_by: str
    asked_at: float
    answer: str | None = None
    answered_by: str | None = None
    rule_intent: str | None = None
    confidence: float | None = None


class Followup(msgspec.Struct, frozen=True):
    """A follow-up question during design and the candidate's answer to it."""

    id: str
    question: str
    asked_by: str  # the interviewer's user id, or "system"
    asked_at: float
    origin: e.FollowupOrigin
    trigger: e.FollowupTrigger
    section: str | None = None  # where the answer counts in the evaluation
    answer: str | None = None
    answered_at: float | None = None


class Presence(msgspec.Struct, frozen=True):
    role: str
    name: str


class Remark(msgspec.Struct, frozen=True):
    """A hint or a private note from an observer."""

    text: str
    by: str


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
    draft: dict[str, str] = msgspec.field(default_factory=empty_draft)
    presence: dict[str, Presence] = msgspec.field(default_factory=dict)
    hints: tuple[Remark, ...] = ()
    notes: tuple[Remark, ...] = ()
    evaluator: str | None = None
    evaluation_text: str = ""
    evaluation: StoredEvaluation | None = None
    failure: str | None = None
    submitted_at: float | None = None
    followups: tuple[Followup, ...] = ()
    # The candidate asked for a follow-up that the system has not written yet.
    followup_requested_at: float | None = None

    def state_for(self, role: Role | str) -> RoomState:
        """The state as ``role`` may see it: only interviewers (observers) see private notes."""
        return self if role == Role.OBSERVER else replace(self, notes=())


def clarifications_left(state: RoomState) -> int:
    return max(0, state.max_clarifications - len(state.clarifications))


def system_followups(state: RoomState) -> list[Followup]:
    """The follow-up questions the system asked (not an interviewer's)."""
    return [f for f in state.followups if f.origin != "interviewer"]
