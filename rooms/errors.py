"""Errors raised by the room engine (the Redis side of a room), apart from the domain's own.

Like ``domain.errors``, every error carries a stable ``code`` and keyword ``fields``; the one
translator in ``server/errors.py`` turns them into HTTP answers, close codes and error frames.
The whole hierarchy:

    RoomError
    ├── RoomNotFound   (session_not_found) the room is in neither Redis nor Postgres
    ├── RoomBusy       (room_busy)         the room exists already, or its appends kept conflicting
    └── RoomUnavailable (room_unavailable) Postgres could not take what must be durable first

A command that raises any of these appended nothing.
"""

from __future__ import annotations

from typing import Any


class RoomError(Exception):
    """Root of every error the room engine raises."""

    code: str = "room_error"

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields


class RoomNotFound(RoomError):
    code = "session_not_found"


class RoomBusy(RoomError):
    code = "room_busy"


class RoomUnavailable(RoomError):
    """A milestone or a seq reservation could not reach Postgres: nothing was applied."""

    code = "room_unavailable"
