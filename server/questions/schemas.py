"""Request and response bodies of the question API (documented in OpenAPI)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

import msgspec


class Company(msgspec.Struct, frozen=True):
    name: str
    logo_url: str | None = None


class QuestionSummary(msgspec.Struct, frozen=True):
    id: uuid.UUID
    slug: str
    title: str
    type: str
    difficulty: str
    acceptance_rate: int
    is_locked: bool
    is_coming_soon: bool
    topics: list[str]
    companies: list[Company]
    durations: dict[str, int]
    max_clarifications: int
    # Evaluated attempts that count (not empty ones): 0 means "no attempts yet", and then
    # `acceptance_rate` says nothing.
    attempts: int = 0
    # Why the question cannot be started (locked or coming soon); None when it can.
    locked_reason: str | None = None


class QuestionDetail(QuestionSummary, frozen=True):
    description: str = ""


class QuestionPage(msgspec.Struct, frozen=True):
    items: list[QuestionSummary]
    next_cursor: str | None


class QuestionEdit(msgspec.Struct, forbid_unknown_fields=True):
    """An admin's changes; fields left out stay as they are."""

    title: str | None = None
    description: str | None = None
    difficulty: Literal["easy", "medium", "hard"] | None = None
    is_locked: bool | None = None
    is_coming_soon: bool | None = None
    clarifying_secs: int | None = None
    design_secs: int | None = None
    max_clarifications: int | None = None


class UnansweredClarification(msgspec.Struct, frozen=True):
    """A question candidates asked that no rule answered (they got the neutral answer)."""

    text: str
    times_asked: int
    last_asked_at: datetime


class UnansweredPage(msgspec.Struct, frozen=True):
    question_id: uuid.UUID
    items: list[UnansweredClarification]
