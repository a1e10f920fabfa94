"""Interview sessions: starting one on a question, who may see it, and its listings."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import asyncpg
import msgspec

from domain.commands import Actor, Role
from domain.phases import Phase
from domain.room_tables import SessionEvent, SessionInvite, SessionObserver
from domain.tables import Evaluation, InterviewSession, Question, User
from domain.timers import validate_durations
from server.errors import Conflict, Forbidden, NotFound
from server.questions.service import find_question_row

if TYPE_CHECKING:
    from rooms.service import RoomService

OPEN_STATUSES = (Phase.CLARIFYING.value, Phase.DESIGN.value)
LIVE_STATUSES = (
    Phase.CLARIFYING.value,
    Phase.DESIGN.value,
    Phase.SUBMITTED.value,
    Phase.EVALUATING.value,
)
# Roles that may watch any room on this server (the mock interviewers and operators).
STAFF_ROLES = ("interviewer", "admin")
# An invite link is for one interview; a week covers scheduling it and the replay after.
INVITE_LIFETIME = timedelta(days=7)


@dataclass(frozen=True)
class Viewer:
    """Who is asking: the user and their account role."""

    user_id: uuid.UUID
    role: str


@dataclass(frozen=True)
class Access:
    session: dict[str, Any]
    room_role: Role  # candidate (the owner) or observer


def actor_for(viewer: Viewer, access: Access) -> Actor:
    return Actor(user_id=str(viewer.user_id), role=access.room_role)


def _json(raw: Any) -> Any:
    return msgspec.json.decode(raw) if isinstance(raw, str | bytes) else raw


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionService:
    def __init__(self, rooms: RoomService) -> None:
        self.rooms = rooms

    async def start(
        self,
        viewer: Viewer,
        question_ref: str,
        mode: str,
        durations: dict[str, int] | None,
    ) -> tuple[bool, dict[str, Any]]:
        """(created, session row): an unfinished session on the question is returned as is."""
        question = await find_question_row(question_ref)
        if question["is_locked"]:
            raise Forbidden("This question is locked.", code="question_locked")
        if question["is_coming_soon"]:
            raise Conflict("This question is not open yet.", code="question_coming_soon")
        existing = await self._open_session(viewer.user_id, question["id"])
        if existing is not None:
            return False, existing
        budgets = {"clarifying": question["clarifying_secs"], "design": question["design_secs"]}
        budgets |= validate_durations(durations or {})
        session_id = uuid.uuid4()
        now = datetime.now(UTC)
        try:
            await InterviewSession.insert(
                InterviewSession(
                    id=session_id,
                    user_id=viewer.user_id,
                    question_id=question["id"],
                    mode=mode,
                    durations=budgets,
                    started_at=now,
                    updated_at=now,
                )
            )
        except asyncpg.UniqueViolationError:  # a concurrent start won; answer with its session
            found = await self._open_session(viewer.user_id, question["id"])
            assert found is not None
            return False, found
        await self.rooms.create(
            str(session_id),
            str(question["id"]),
            mode,
            budgets,
            question["max_clarifications"],
            Actor(user_id=str(viewer.user_id), role=Role.CANDIDATE),
        )
        row = await self._row(session_id)
        assert row is not None
        return True, row

    async def _open_session(
        self, user_id: uuid.UUID, question_id: uuid.UUID
    ) -> dict[str, Any] | None:
        return (
            await InterviewSession.select()
            .where(
                (InterviewSession.user_id == user_id)
                & (InterviewSession.question_id == question_id)
                & InterviewSession.status.is_in(list(OPEN_STATUSES))
            )
            .first()
        )

    async def _row(self, session_id: uuid.UUID) -> dict[str, Any] | None:
        return await InterviewSession.select().where(InterviewSession.id == session_id).first()

    async def access(self, viewer: Viewer, session_id: uuid.UUID) -> Access:
        """The viewer's role in the room; 404 for a session they may not know exists."""
        row = await self._row(session_id)
        if row is None:
            raise NotFound("No such interview session.", code="session_not_found")
        if row["user_id"] == viewer.user_id:
            return Access(row, Role.CANDIDATE)
        if viewer.role in STAFF_ROLES or await self._is_observer(session_id, viewer.user_id):
            return Access(row, Role.OBSERVER)
        raise NotFound("No such interview session.", code="session_not_found")

    async def _is_observer(self, session_id: uuid.UUID, user_id: uuid.UUID) -> bool:
        return await SessionObserver.exists().where(
            (SessionObserver.session_id == session_id) & (SessionObserver.user_id == user_id)
        )

    async def mine(self, user_id: uuid.UUID, limit: int) -> list[dict[str, Any]]:
        return await self._listing(InterviewSession.user_id == user_id, limit)

    async def observed(self, user_id: uuid.UUID, limit: int) -> list[dict[str, Any]]:
        """Sessions the user was invited to watch."""
        invited = SessionObserver.select(SessionObserver.session_id).where(
            SessionObserver.user_id == user_id
        )
        return await self._listing(InterviewSession.id.is_in(invited), limit)

    async def live(self, limit: int) -> list[dict[str, Any]]:
        return await self._listing(InterviewSession.status.is_in(list(LIVE_STATUSES)), limit)

    async def _listing(self, where: Any, limit: int) -> list[dict[str, Any]]:
        rows = (
            await InterviewSession.select(
                *InterviewSession.all_columns(),
                InterviewSession.question_id.title.as_alias("question_title"),
                InterviewSession.question_id.slug.as_alias("question_slug"),
                InterviewSession.question_id.type.as_alias("question_type"),
                InterviewSession.user_id.email.as_alias("candidate_email"),
                InterviewSession.user_id.name.as_alias("candidate_name"),
            )
            .where(where)
            .order_by(InterviewSession.started_at, ascending=False)
            .limit(limit)
        )
        scores = await _scores([row["id"] for row in rows])
        return [{**row, "score": scores.get(row["id"])} for row in rows]

    async def invite(self, viewer: Viewer, access: Access) -> tuple[str, datetime]:
        if access.room_role != Role.CANDIDATE and viewer.role not in STAFF_ROLES:
            raise Forbidden("Only the candidate or staff can invite observers.", code="forbidden")
        token = secrets.token_urlsafe(24)
        expires = datetime.now(UTC) + INVITE_LIFETIME
        await SessionInvite.insert(
            SessionInvite(
                session_id=access.session["id"],
                token_hash=_hash(token),
                created_by=viewer.user_id,
                created_at=datetime.now(UTC),
                expires_at=expires,
            )
        )
        return token, expires

    async def accept_invite(self, viewer: Viewer, token: str) -> uuid.UUID:
        invite = (
            await SessionInvite.select().where(SessionInvite.token_hash == _hash(token)).first()
        )
        if invite is None or invite["revoked"]:
            raise NotFound("This invite link is not valid.", code="invite_invalid")
        if invite["expires_at"] < datetime.now(UTC):
            raise Conflict("This invite link has expired.", code="invite_expired")
        owner = (
            await InterviewSession.select(InterviewSession.user_id)
            .where(InterviewSession.id == invite["session_id"])
            .first()
        )
        if owner and owner["user_id"] != viewer.user_id:
            await SessionObserver.insert(
                SessionObserver(
                    session_id=invite["session_id"],
                    user_id=viewer.user_id,
                    joined_at=datetime.now(UTC),
                )
            ).on_conflict(action="DO NOTHING")
        session_id: uuid.UUID = invite["session_id"]
        return session_id

    @staticmethod
    async def events(
        access: Access, after: int, limit: int
    ) -> tuple[list[dict[str, Any]], int | None]:
        """The archived log after `after` as the viewer may see it, and the next page's start."""
        query = SessionEvent.select(SessionEvent.payload).where(
            (SessionEvent.session_id == access.session["id"]) & (SessionEvent.seq > after)
        )
        if access.room_role != Role.OBSERVER:
            query = query.where(SessionEvent.audience == "all")
        rows = await query.order_by(SessionEvent.seq).limit(limit + 1)
        events: list[dict[str, Any]] = [_json(row["payload"]) for row in rows[:limit]]
        next_after = events[-1]["seq"] if len(rows) > limit else None
        return events, next_after

    @staticmethod
    async def display_name(user_id: uuid.UUID) -> str:
        row = await User.select(User.name, User.email).where(User.id == user_id).first()
        if row is None:
            return "someone"
        name: str = row["name"] or row["email"].split("@")[0]
        return name[:100]

    @staticmethod
    async def question_of(session: dict[str, Any]) -> dict[str, Any]:
        row = (
            await Question.select(
                Question.id,
                Question.slug,
                Question.title,
                Question.type,
                Question.difficulty,
                Question.description,
            )
            .where(Question.id == session["question_id"])
            .first()
        )
        assert row is not None
        return row


async def _scores(session_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """The evaluated score of each session that has one."""
    if not session_ids:
        return {}
    session = Evaluation.solution_id.session_id
    rows = await Evaluation.select(session.as_alias("session_id"), Evaluation.score).where(
        session.is_in(session_ids)
    )
    return {row["session_id"]: row["score"] for row in rows}
