"""Errors raised by the pure room model.

Every error carries a stable ``code`` (for clients and for the one translator in ``server/``)
and keyword ``fields`` with the details. The whole hierarchy:

    DomainError
    ├── IllegalInPhase                (phase_illegal)
    ├── RoleForbidden                 (role_forbidden)
    ├── ClarificationBudgetExhausted  (clarification_budget_exhausted)
    ├── InvalidCommand                (invalid_command)
    ├── UnknownClarification          (clarification_unknown)
    ├── AlreadyAnswered               (clarification_answered)
    ├── FollowupLimitReached          (followup_limit_reached)
    ├── FollowupPending               (followup_pending)
    ├── UnknownFollowup               (followup_unknown)
    └── FollowupAlreadyAnswered       (followup_answered)

A command that raises any of these changes nothing: ``decide`` is pure and emits no events.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Root of every error the domain raises."""

    code: str = "domain_error"

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, code={self.code!r}, fields={self.fields!r})"
        )


class IllegalInPhase(DomainError):
    """The command (or transition) is not allowed in the room's current phase."""

    code = "phase_illegal"


class RoleForbidden(DomainError):
    """The actor's role may not issue this command."""

    code = "role_forbidden"


class ClarificationBudgetExhausted(DomainError):
    """The candidate has already asked as many clarifications as the question allows."""

    code = "clarification_budget_exhausted"


class InvalidCommand(DomainError):
    """A command field has a bad value: empty or too long text, unknown section or language."""

    code = "invalid_command"


class UnknownClarification(DomainError):
    """No clarification with that id exists in this room."""

    code = "clarification_unknown"


class AlreadyAnswered(DomainError):
    """The clarification already has an answer."""

    code = "clarification_answered"


class FollowupLimitReached(DomainError):
    """The system has already asked as many follow-up questions as one session allows."""

    code = "followup_limit_reached"


class FollowupPending(DomainError):
    """A follow-up question from the system is still unanswered (or one is being written)."""

    code = "followup_pending"


class UnknownFollowup(DomainError):
    """No follow-up question with that id exists in this room."""

    code = "followup_unknown"


class FollowupAlreadyAnswered(DomainError):
    """The follow-up question already has an answer."""

    code = "followup_answered"
