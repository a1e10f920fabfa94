"""What the browser needs to know about this server before anyone signs in.

Besides the optional sign-in methods, `GET /config` serves the room's vocabulary: the solution
sections, languages, phases, limits, client command types and WebSocket close codes, built from
their one source in `domain/` and `server/`, so the page holds no copy of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec
from litestar import Controller, get

from domain.commands import MAX_TEXT_CHARS
from domain.decide import CLIENT_COMMAND_TYPES, COMMANDS
from domain.phases import PHASE_LABELS, TERMINAL, Phase
from domain.solution import (
    DEFAULT_LANGUAGE,
    DRAFT_PARTS,
    LANGUAGES,
    MAX_SECTION_CHARS,
    section_label,
)
from domain.timers import MAX_PHASE_SECS, MIN_PHASE_SECS
from server.errors import ERRORS, AppError
from server.sessions.socket import BAD_REQUEST_CLOSE, FLOODING_CLOSE

if TYPE_CHECKING:
    from server.context import AppContext


class Section(msgspec.Struct, frozen=True):
    name: str
    label: str  # as an LLD question names it
    hld_label: str  # as an HLD question names it


class PhaseInfo(msgspec.Struct, frozen=True):
    name: str
    label: str
    terminal: bool  # the session is over: nothing moves it on
    open: bool  # the candidate is still writing (a draft is legal)


class Limits(msgspec.Struct, frozen=True):
    section_chars: int  # one solution section
    text_chars: int  # a clarification, answer, hint or note
    min_phase_secs: int
    max_phase_secs: int


class CloseCode(msgspec.Struct, frozen=True):
    code: int
    meaning: str  # a stable key, e.g. "unauthorized"; the page words it


class Vocabulary(msgspec.Struct, frozen=True):
    sections: list[Section]  # every draft part in the room's order, `language` included
    languages: list[str]
    default_language: str
    limits: Limits
    phases: list[PhaseInfo]  # the way forward first, then the early ends
    client_command_types: list[str]
    close_codes: list[CloseCode]


class PublicConfig(msgspec.Struct):
    google_client_id: str | None
    vocabulary: Vocabulary


def _phases() -> list[PhaseInfo]:
    writable = COMMANDS["draft"].phases
    return [PhaseInfo(str(p), PHASE_LABELS[p], p in TERMINAL, p in writable) for p in Phase]


def _close_codes() -> list[CloseCode]:
    """Every code the room socket may close with, keyed by what it means."""
    meanings: dict[int, str] = {}
    for cls, translation in ERRORS.items():
        # The socket refuses a connection only with server errors; the first (most general)
        # class of each status names it.
        if issubclass(cls, AppError):
            meanings.setdefault(translation.close_code, cls.code)
    meanings[BAD_REQUEST_CLOSE] = "bad_request"
    meanings[FLOODING_CLOSE] = "flooding"
    return [CloseCode(code, meanings[code]) for code in sorted(meanings)]


def build_vocabulary() -> Vocabulary:
    return Vocabulary(
        sections=[
            Section(str(part), section_label(part), section_label(part, "HLD"))
            for part in DRAFT_PARTS
        ],
        languages=list(LANGUAGES),
        default_language=DEFAULT_LANGUAGE,
        limits=Limits(MAX_SECTION_CHARS, MAX_TEXT_CHARS, MIN_PHASE_SECS, MAX_PHASE_SECS),
        phases=_phases(),
        client_command_types=[tag for tag in COMMANDS if tag in CLIENT_COMMAND_TYPES],
        close_codes=_close_codes(),
    )


# Built once: everything it reads is fixed when the process starts.
VOCABULARY = build_vocabulary()


class ConfigController(Controller):
    path = "/config"
    tags = ["operations"]

    @get(summary="Public configuration: optional sign-in methods and the room's vocabulary")
    async def config(self, ctx: AppContext) -> PublicConfig:
        return PublicConfig(google_client_id=ctx.settings.google_client_id, vocabulary=VOCABULARY)
