"""A solution read as statements: what a section actually says, as opposed to words it contains.

A section is split into statements (sentences, bullets, lines). A statement is **prose** when it
says something — enough words, not a comma-separated run of terms; **short** when it is a terse
line ("cache in memory"); a **term** when it is a bare list of terms (or, decided by the
assessment, mostly rubric words). Statements that repeat the question's own description, or that
were already made in another section, are set aside: the answer did not state them, or stated
them once. Code is read separately (``domain.code_facts``).
"""

from __future__ import annotations

import re
from typing import Literal

import msgspec

from domain.rubric import words

# Fewer words than this is a heading or a term, not a statement.
MIN_PROSE_WORDS = 5
# A line split by commas into at least this many pieces of at most LIST_PIECE_WORDS words each
# is a list of terms, whatever its length.
LIST_MIN_PIECES = 3
LIST_PIECE_WORDS = 3
# A statement sharing this share of its word trigrams with the question's description is an echo.
ECHO_OVERLAP = 0.5
_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+|(?:^|\s)[-*•]\s+|(?<=:)\s+(?=[A-Z])")
_PIECES = re.compile(r"[,;/|]")

Kind = Literal["prose", "short", "term", "echo", "repeat"]


class Statement(msgspec.Struct, frozen=True):
    text: str
    kind: Kind
    words: tuple[str, ...]


def is_list(text: str) -> bool:
    pieces = [p for p in _PIECES.split(text) if p.strip()]
    if len(pieces) < LIST_MIN_PIECES:
        return False
    short = sum(len(p.split()) <= LIST_PIECE_WORDS for p in pieces)
    return short >= 0.8 * len(pieces)


def _trigrams(normalised: tuple[str, ...]) -> set[tuple[str, ...]]:
    return {normalised[i : i + 3] for i in range(len(normalised) - 2)}


class DescriptionEcho:
    """Recognises statements copied from the question's description."""

    def __init__(self, description: str) -> None:
        self._trigrams = _trigrams(tuple(words(description)))

    def echoes(self, normalised: tuple[str, ...]) -> bool:
        own = _trigrams(normalised)
        return bool(own) and len(own & self._trigrams) >= ECHO_OVERLAP * len(own)


def split(text: str) -> list[str]:
    return [part.strip() for part in _SPLIT.split(text) if part and part.strip(" -*•\t")]


def read_section(text: str, echo: DescriptionEcho, seen: set[tuple[str, ...]]) -> list[Statement]:
    """The section's statements; `seen` collects what earlier sections stated (updated here)."""
    out: list[Statement] = []
    for part in split(text):
        normalised = tuple(words(part))
        if not normalised:
            continue
        if echo.echoes(normalised):
            kind: Kind = "echo"
        elif normalised in seen:
            kind = "repeat"
        elif is_list(part):
            kind = "term"
        elif len(normalised) < MIN_PROSE_WORDS:
            kind = "short"
        else:
            kind = "prose"
        seen.add(normalised)
        out.append(Statement(part, kind, normalised))
    return out


def share(statements: list[Statement], kind: Kind) -> float:
    """The share of the section's words in statements of this kind."""
    total = sum(len(s.words) for s in statements)
    return sum(len(s.words) for s in statements if s.kind == kind) / total if total else 0.0
