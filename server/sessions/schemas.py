"""Request and response bodies of the session API (documented in OpenAPI)."""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from domain.evaluation import StoredEvaluation
from domain.solution import DRAFT_PARTS, DraftPart, Language
from domain.state import (
    Clarification,
    Followup,
    Presence,
    Remark,
    RoomState,
    clarifications_left,
)
from server.accounts.users import public_name


class StartSession(msgspec.Struct, forbid_unknown_fields=True):
    mode: Literal["timed", "untimed"] = "timed"
    durations: dict[str, int] | None = None


class ClarifyBody(msgspec.Struct, forbid_unknown_fields=True):
    question: str


# Any subset of the solution's parts; each given one replaces that part's text. Its fields are
# the parts of `domain.solution`, so the body cannot drift from the room.
DraftBody: type[msgspec.Struct] = msgspec.defstruct(
    "DraftBody",
    [(part, (Language if part == "language" else str) | None, None) for part in DRAFT_PARTS],
    forbid_unknown_fields=True,
    module=__name__,
)


def draft_parts(body: msgspec.Struct) -> dict[DraftPart, str]:
    """The parts the body sets, in the room's order."""
    given = msgspec.structs.asdict(body)
    return {part: given[part] for part in DRAFT_PARTS if given.get(part) is not None}


class TextBody(msgspec.Struct, forbid_unknown_fields=True):
    text: str


class AnswerBody(msgspec.Struct, forbid_unknown_fields=True):
    text: str


class FollowupBody(msgspec.Struct, forbid_unknown_fields=True):
    """An interviewer's question (`text`); without one, the candidate asking for a question
    (`{}` or `{"request": true}`)."""

    text: str | None = None
    request: Literal[True] = True


class FollowupAccepted(msgspec.Struct):
    seq: int
    phase: str
    # The interviewer's question's id; null for a request, whose question the system writes
    # next (a `followup.asked` event, and `followups` in the session's state).
    followup_id: str | None = None
    requested: bool = False


class AnswerModeBody(msgspec.Struct, forbid_unknown_fields=True):
    mode: Literal["rules", "human"]


class QuestionRef(msgspec.Struct):
    id: uuid.UUID
    slug: str
    title: str
    type: str
    difficulty: str
    description: str | None = None


class SessionView(msgspec.Struct):
    id: uuid.UUID
    question: QuestionRef
    role: str
    phase: str
    mode: str
    answer_mode: str
    durations: dict[str, int]
    deadline: float | None
    server_time: float
    max_clarifications: int
    clarifications_left: int
    clarifications: list[Clarification]
    draft: dict[str, str]
    presence: dict[str, Presence]
    hints: list[Remark]
    notes: list[Remark]
    seq: int
    started_at: float
    submitted_at: float | None
    evaluator: str | None
    evaluation_text: str
    evaluation: StoredEvaluation | None
    failure: str | None
    # Counts the times the room was rebuilt after Redis lost it; `seq` counts within it.
    epoch: int = 0
    # Follow-up questions during design and their answers; a request the system still writes.
    followups: list[Followup] = msgspec.field(default_factory=list)
    followup_requested_at: float | None = None


class ObserverNote(msgspec.Struct):
    """One of the observer's own private notes, as their history lists it."""

    text: str
    at: datetime


class SessionSummary(msgspec.Struct):
    id: uuid.UUID
    question_id: uuid.UUID
    question_slug: str
    question_title: str
    question_type: str
    status: str
    mode: str
    started_at: datetime
    ended_at: datetime | None
    candidate_name: str
    score: int | None = None
    # Whether the session counts in statistics: evaluated, and not an empty attempt.
    counted: bool = False
    # Evaluated, but its written sections hold almost nothing: shown, not counted.
    empty: bool = False
    # `?role=observer` only: the room role the viewer had ("interviewer" or "peer"), their
    # own notes (the first NOTES_PER_SUMMARY of them) and how many they wrote in all.
    observed_as: str | None = None
    notes: list[ObserverNote] = msgspec.field(default_factory=list)
    note_count: int = 0


class ClarifyAnswer(msgspec.Struct):
    clarification_id: str
    question: str
    answer: str | None
    answered_by: str | None
    status: Literal["answered", "pending"]
    clarifications_left: int
    seq: int
    # The rule the answer came from (None: the neutral answer, or not answered yet) and how sure
    # the matcher was, 0..1.
    rule_intent: str | None = None
    confidence: float | None = None


class Accepted(msgspec.Struct):
    seq: int
    phase: str


MAX_INVITE_USES = 20


class InviteRequest(msgspec.Struct, forbid_unknown_fields=True):
    """`POST /sessions/{id}/invites`; no body is a single-use link for anyone signed in."""

    # Only the account with this address may accept.
    email: str | None = None
    max_uses: Annotated[int, msgspec.Meta(ge=1, le=MAX_INVITE_USES)] = 1


class Invite(msgspec.Struct):
    token: str
    url: str
    expires_at: datetime
    id: uuid.UUID | None = None
    # "interviewer" (staff invited: private notes, answers, hints) or "peer" (watches only).
    role: str = "peer"
    max_uses: int = 1
    email: str | None = None


class InviteAcceptance(msgspec.Struct):
    user_id: uuid.UUID
    name: str
    role: str
    joined_at: datetime


class InviteView(msgspec.Struct):
    id: uuid.UUID
    role: str
    created_by: uuid.UUID
    created_by_name: str
    created_at: datetime
    expires_at: datetime
    max_uses: int
    uses: int
    email: str | None
    revoked: bool
    revoked_at: datetime | None
    accepted_by: list[InviteAcceptance]


def invite_view(row: dict[str, Any]) -> InviteView:
    return InviteView(
        id=row["id"],
        role=row["role"],
        created_by=row["created_by"],
        created_by_name=row["created_by_name"] or "",
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        max_uses=row["max_uses"],
        uses=row["uses"],
        email=row["email"],
        revoked=row["revoked"],
        revoked_at=row["revoked_at"],
        accepted_by=[
            InviteAcceptance(
                user_id=a["user_id"],
                name=public_name(a["user_id"], a["name"]),
                role=a["role"],
                joined_at=a["joined_at"],
            )
            for a in row["accepted_by"]
        ],
    )


class InviteAccepted(msgspec.Struct):
    session_id: uuid.UUID


class EventPage(msgspec.Struct):
    events: list[dict[str, Any]]
    next_after: int | None


def session_view(
    session: dict[str, Any],
    question: dict[str, Any],
    seq: int,
    state: RoomState,
    role: str,
    epoch: int = 0,
) -> SessionView:
    visible = state.state_for(role)
    return SessionView(
        id=session["id"],
        question=QuestionRef(
            question["id"],
            question["slug"],
            question["title"],
            question["type"],
            question["difficulty"],
            question["description"],
        ),
        role=role,
        phase=state.phase.value,
        mode=state.mode,
        answer_mode=state.answer_mode,
        durations=state.durations,
        deadline=state.deadline,
        server_time=round(time.time(), 3),
        max_clarifications=state.max_clarifications,
        clarifications_left=clarifications_left(state),
        clarifications=list(state.clarifications),
        draft=state.draft,
        presence=state.presence,
        hints=list(state.hints),
        notes=list(visible.notes),
        seq=seq,
        started_at=state.started_at,
        submitted_at=state.submitted_at,
        evaluator=state.evaluator,
        evaluation_text=state.evaluation_text,
        evaluation=state.evaluation,
        failure=state.failure,
        epoch=epoch,
        followups=list(state.followups),
        followup_requested_at=state.followup_requested_at,
    )


def summary(row: dict[str, Any]) -> SessionSummary:
    return SessionSummary(
        id=row["id"],
        question_id=row["question_id"],
        question_slug=row["question_slug"],
        question_title=row["question_title"],
        question_type=row["question_type"],
        status=row["status"],
        mode=row["mode"],
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        candidate_name=public_name(row["user_id"], row["candidate_name"]),
        score=row.get("score"),
        counted=row.get("counted") is True,
        empty=row.get("counted") is False,
        observed_as=row.get("observed_as"),
        notes=[ObserverNote(note["text"], note["at"]) for note in row.get("notes", [])],
        note_count=row.get("note_count", 0),
    )
