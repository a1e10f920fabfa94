"""Commands: what candidates, observers and the server ask a room to do.

Each command is a frozen struct whose ``type`` tag keys its row in the one command table
(``domain.decide.COMMANDS``: who may issue it, in which phases, and how it is decided). Fields
that have a fixed vocabulary are typed with it, so a client frame with a bad value is rejected
when it is decoded at the edge; ``validate_command`` checks what a type cannot say (empty or
over-long text, NUL characters), for hand-built commands too.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, get_args

import msgspec

from domain.errors import InvalidCommand
from domain.evaluation import StoredEvaluation
from domain.events import AnswerModeName, SystemFollowupOrigin
from domain.phases import Phase
from domain.solution import LANGUAGES, MAX_SECTION_CHARS, SOLUTION_SECTIONS, DraftPart

# Clarifications, hints, notes and answers are conversational; 2,000 chars is a long paragraph.
MAX_TEXT_CHARS = 2_000
# Display names and evaluator labels are shown inline.
MAX_NAME_CHARS = 100
ANSWER_MODES: tuple[AnswerModeName, ...] = get_args(AnswerModeName)
RoomRole = Literal["candidate", "observer", "peer"]
# Questions the system itself asks in one session (on request or at the time mark): enough to
# probe a few weak spots, few enough that the candidate still designs rather than chats.
MAX_SYSTEM_FOLLOWUPS = 3


class Role(StrEnum):
    CANDIDATE = "candidate"
    # An interviewer: staff, or invited by staff. Sees private notes; answers, hints, notes.
    OBSERVER = "observer"
    # Invited by the candidate: watches what the candidate sees, sends no command.
    PEER = "peer"
    SYSTEM = "system"


class Actor(msgspec.Struct, frozen=True):
    user_id: str
    role: Role


class Command(msgspec.Struct, frozen=True, tag_field="type", forbid_unknown_fields=True):
    """The root of every command; its ``type`` tag names its row in the command table."""


# candidate
class Clarify(Command, frozen=True, tag="clarify"):
    question: str


class Advance(Command, frozen=True, tag="advance"):
    to: Literal["design"]


class Draft(Command, frozen=True, tag="draft"):
    section: DraftPart
    text: str


class Submit(Command, frozen=True, tag="submit"):
    pass


class Abandon(Command, frozen=True, tag="abandon"):
    pass


class FollowupRequest(Command, frozen=True, tag="followup_request"):
    """The candidate asks the interviewer for a follow-up question about their design."""


class FollowupAnswer(Command, frozen=True, tag="followup_answer"):
    followup_id: str
    text: str


# observer
class Answer(Command, frozen=True, tag="answer"):
    clarification_id: str
    text: str


class Hint(Command, frozen=True, tag="hint"):
    text: str


class Note(Command, frozen=True, tag="note"):
    text: str


class AnswerMode(Command, frozen=True, tag="answer_mode"):
    mode: AnswerModeName


class Followup(Command, frozen=True, tag="followup"):
    """An interviewer's own follow-up question."""

    text: str


# system
class FollowupAsk(Command, frozen=True, tag="followup_ask"):
    """The system asks a follow-up question. `due_timers` yields it without a question when a
    request waits or the half-time mark passed; the app process that fires it writes the
    question in (from the rubric's probes or the model) before it is decided."""

    trigger: Literal["request", "time"]
    text: str = ""
    origin: SystemFollowupOrigin = "rubric"
    section: str | None = None


class Join(Command, frozen=True, tag="join"):
    user_id: str
    role: RoomRole
    name: str


class Leave(Command, frozen=True, tag="leave"):
    user_id: str


class TimerWarn(Command, frozen=True, tag="timer_warn"):
    phase: Phase


class TimerExpire(Command, frozen=True, tag="timer_expire"):
    phase: Phase


class ClarificationTimeout(Command, frozen=True, tag="clarification_timeout"):
    clarification_id: str


class EvaluationStart(Command, frozen=True, tag="evaluation_start"):
    evaluator: str


class EvaluationDelta(Command, frozen=True, tag="evaluation_delta"):
    text: str


class EvaluationComplete(Command, frozen=True, tag="evaluation_complete"):
    result: StoredEvaluation


class EvaluationFail(Command, frozen=True, tag="evaluation_fail"):
    reason: str


def command_type(command: Command) -> str:
    """The command's ``type`` tag, e.g. ``"clarify"``."""
    tag = command.__struct_config__.tag
    assert isinstance(tag, str)
    return tag


def _check_storable(field: str, value: str) -> None:
    # NUL cannot be stored in Postgres text or JSON; no honest client types one.
    if "\x00" in value:
        raise InvalidCommand(f"{field} must not contain NUL characters", field=field)


def _check_text(field: str, value: str, limit: int = MAX_TEXT_CHARS) -> None:
    _check_storable(field, value)
    if not value.strip():
        raise InvalidCommand(f"{field} must not be empty", field=field)
    if len(value) > limit:
        raise InvalidCommand(f"{field} is longer than {limit} characters", field=field, limit=limit)


def _check_choice(field: str, value: str, allowed: tuple[str, ...]) -> None:
    # The types say the same; this catches a command built by hand with a wrong value.
    if value not in allowed:
        raise InvalidCommand(f"{field} must be one of {allowed}", field=field, value=value)


def _check_draft(command: Draft) -> None:
    _check_storable("text", command.text)
    _check_choice("section", command.section, get_args(DraftPart))
    if command.section == "language" and command.text not in LANGUAGES:
        raise InvalidCommand(f"unknown language {command.text!r}", field="text")
    if len(command.text) > MAX_SECTION_CHARS:
        raise InvalidCommand(
            f"section is longer than {MAX_SECTION_CHARS} characters",
            field="text",
            limit=MAX_SECTION_CHARS,
        )


def _check_followup_ask(command: FollowupAsk) -> None:
    _check_choice("trigger", command.trigger, ("request", "time"))
    _check_choice("origin", command.origin, get_args(SystemFollowupOrigin))
    if command.section is not None:
        _check_choice("section", command.section, SOLUTION_SECTIONS)
    if command.text:  # without one it is a timer still waiting for its question: a no-op
        _check_text("text", command.text)


def validate_command(command: Command) -> None:
    """Raise InvalidCommand if a field value is out of range; the type tag is already known."""
    match command:
        case Clarify(question=question):
            _check_text("question", question)
        case Answer(text=text) | Hint(text=text) | Note(text=text) | Followup(text=text):
            _check_text("text", text)
        case FollowupAnswer(followup_id=followup_id, text=text):
            _check_text("followup_id", followup_id, MAX_NAME_CHARS)
            _check_text("text", text)
        case FollowupAsk():
            _check_followup_ask(command)
        case Advance(to=to):
            _check_choice("to", to, ("design",))
        case Draft():
            _check_draft(command)
        case AnswerMode(mode=mode):
            _check_choice("mode", mode, ANSWER_MODES)
        case Join(role=role, name=name):
            _check_choice("role", role, get_args(RoomRole))
            _check_text("name", name, MAX_NAME_CHARS)
        case EvaluationStart(evaluator=evaluator):
            _check_text("evaluator", evaluator, MAX_NAME_CHARS)
        case _:
            pass
