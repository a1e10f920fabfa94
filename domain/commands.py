"""Commands: what candidates, observers and the server ask a room to do.

Client commands are decoded once at the edge with ``decode_client_command``; system commands
are built by the server and never decoded from a client. Field values are checked by
``validate_command`` (called from ``decide``), so a hand-built command is checked too.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeAlias

import msgspec

from domain.errors import InvalidCommand

# The solution sections from the seed's design phase.
SECTIONS = (
    "functional_req",
    "non_functional_req",
    "entities",
    "classes_and_relationships",
    "apis",
    "code",
    "language",
    "extra",
)
LANGUAGES = ("go", "cpp", "java", "python")
DEFAULT_LANGUAGE = "python"
# A whole section (the code one in particular) fits comfortably; larger bodies are abuse and
# would bloat every snapshot and replay.
MAX_SECTION_CHARS = 20_000
# Clarifications, hints, notes and answers are conversational; 2,000 chars is a long paragraph.
MAX_TEXT_CHARS = 2_000
# Display names and evaluator labels are shown inline.
MAX_NAME_CHARS = 100
ANSWER_MODES = ("rules", "human")


class Role(StrEnum):
    CANDIDATE = "candidate"
    OBSERVER = "observer"
    SYSTEM = "system"


class Actor(msgspec.Struct, frozen=True):
    user_id: str
    role: Role


class _Command(msgspec.Struct, frozen=True, tag_field="type", forbid_unknown_fields=True):
    pass


# candidate
class Clarify(_Command, frozen=True, tag="clarify"):
    question: str


class Advance(_Command, frozen=True, tag="advance"):
    to: str


class Draft(_Command, frozen=True, tag="draft"):
    section: str
    text: str


class Submit(_Command, frozen=True, tag="submit"):
    pass


class Abandon(_Command, frozen=True, tag="abandon"):
    pass


# observer
class Answer(_Command, frozen=True, tag="answer"):
    clarification_id: str
    text: str


class Hint(_Command, frozen=True, tag="hint"):
    text: str


class Note(_Command, frozen=True, tag="note"):
    text: str


class AnswerMode(_Command, frozen=True, tag="answer_mode"):
    mode: str


# system
class Join(_Command, frozen=True, tag="join"):
    user_id: str
    role: str
    name: str


class Leave(_Command, frozen=True, tag="leave"):
    user_id: str


class TimerWarn(_Command, frozen=True, tag="timer_warn"):
    phase: str


class TimerExpire(_Command, frozen=True, tag="timer_expire"):
    phase: str


class ClarificationTimeout(_Command, frozen=True, tag="clarification_timeout"):
    clarification_id: str


class EvaluationStart(_Command, frozen=True, tag="evaluation_start"):
    evaluator: str


class EvaluationDelta(_Command, frozen=True, tag="evaluation_delta"):
    text: str


class EvaluationComplete(_Command, frozen=True, tag="evaluation_complete"):
    result: dict[str, Any]


class EvaluationFail(_Command, frozen=True, tag="evaluation_fail"):
    reason: str


CandidateCommand: TypeAlias = Clarify | Advance | Draft | Submit | Abandon
ObserverCommand: TypeAlias = Answer | Hint | Note | AnswerMode
ClientCommand: TypeAlias = CandidateCommand | ObserverCommand
CLIENT_COMMANDS = ClientCommand
SystemCommand: TypeAlias = (
    Join
    | Leave
    | TimerWarn
    | TimerExpire
    | ClarificationTimeout
    | EvaluationStart
    | EvaluationDelta
    | EvaluationComplete
    | EvaluationFail
)
Command: TypeAlias = ClientCommand | SystemCommand

_CANDIDATE = ("clarify", "advance", "draft", "submit", "abandon")
_OBSERVER = ("answer", "hint", "note", "answer_mode")
_SYSTEM = (
    "join",
    "leave",
    "timer_warn",
    "timer_expire",
    "clarification_timeout",
    "evaluation_start",
    "evaluation_delta",
    "evaluation_complete",
    "evaluation_fail",
)
# Command type -> the only role that may issue it.
REQUIRED_ROLE: dict[str, Role] = {
    **dict.fromkeys(_CANDIDATE, Role.CANDIDATE),
    **dict.fromkeys(_OBSERVER, Role.OBSERVER),
    **dict.fromkeys(_SYSTEM, Role.SYSTEM),
}

_client_decoder: msgspec.json.Decoder[ClientCommand] = msgspec.json.Decoder(ClientCommand)


def decode_client_command(data: bytes | str) -> ClientCommand:
    """Decode a client frame; raises msgspec.ValidationError / DecodeError on bad input."""
    return _client_decoder.decode(data)


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


def _check_draft(command: Draft) -> None:
    _check_storable("text", command.text)
    if command.section not in SECTIONS:
        raise InvalidCommand(f"unknown section {command.section!r}", field="section")
    if command.section == "language" and command.text not in LANGUAGES:
        raise InvalidCommand(f"unknown language {command.text!r}", field="text")
    if len(command.text) > MAX_SECTION_CHARS:
        raise InvalidCommand(
            f"section is longer than {MAX_SECTION_CHARS} characters",
            field="text",
            limit=MAX_SECTION_CHARS,
        )


def _check_choice(field: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise InvalidCommand(f"{field} must be one of {allowed}", field=field, value=value)


def validate_command(command: Command) -> None:
    """Raise InvalidCommand if a field value is out of range; the type tag is already known."""
    match command:
        case Clarify(question=question):
            _check_text("question", question)
        case Answer(text=text) | Hint(text=text) | Note(text=text):
            _check_text("text", text)
        case Advance(to=to):
            _check_choice("to", to, ("design",))
        case Draft():
            _check_draft(command)
        case AnswerMode(mode=mode):
            _check_choice("mode", mode, ANSWER_MODES)
        case Join(role=role, name=name):
            _check_choice("role", role, (Role.CANDIDATE.value, Role.OBSERVER.value))
            _check_text("name", name, MAX_NAME_CHARS)
        case EvaluationStart(evaluator=evaluator):
            _check_text("evaluator", evaluator, MAX_NAME_CHARS)
        case _:
            pass
