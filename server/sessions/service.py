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
from evaluator.stats import COUNTED_ATTEMPT
from server.accounts.users import public_name
from server.errors import Conflict, Forbidden, NotFound
from server.questions.service import find_question_row

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

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
# An invite link is for one interview: at most a week (scheduling it), and never past the end of
# the session; those it admitted keep the replay.
INVITE_LIFETIME = timedelta(days=7)
# The room role an invite grants (docs/security.md, "Invites").
INTERVIEWER_INVITE, PEER_INVITE = "interviewer", "peer"
# An observer's own notes listed per session in their history; the replay has all of them.
NOTES_PER_SUMMARY = 20


def _granted_by_invite() -> Any:
    """Observer rows that grant a room: an invite's, or one from before invites were recorded
    (a peer). A staff watch (`watched`: an interviewer, no invite) is history only: the account
    role is what lets staff in, so a demoted interviewer loses the room."""
    return SessionObserver.invite_id.is_not_null() | (SessionObserver.role != INTERVIEWER_INVITE)


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
        if viewer.role in STAFF_ROLES:
            await self.watched(viewer, row)
            return Access(row, Role.OBSERVER)
        invited = await self._observer_role(session_id, viewer.user_id)
        if invited == INTERVIEWER_INVITE:
            return Access(row, Role.OBSERVER)
        if invited is not None:
            return Access(row, Role.PEER)
        raise NotFound("No such interview session.", code="session_not_found")

    async def mine(self, user_id: uuid.UUID, limit: int) -> list[dict[str, Any]]:
        return await self._listing(InterviewSession.user_id == user_id, limit)

    @staticmethod
    async def watched(viewer: Viewer, session: dict[str, Any]) -> None:
        """Records that staff opened a room in progress, so it is in their history: as an
        interviewer, with no invite. A record that is there already (an invite's) is kept."""
        if session["status"] not in LIVE_STATUSES:
            return  # reading an ended session (a replay, an audit) is not watching it
        await SessionObserver.insert(
            SessionObserver(
                session_id=session["id"],
                user_id=viewer.user_id,
                joined_at=datetime.now(UTC),
                role=INTERVIEWER_INVITE,
                invite_id=None,
            )
        ).on_conflict(
            target=(SessionObserver.session_id, SessionObserver.user_id), action="DO NOTHING"
        )

    async def observed(
        self,
        user_id: uuid.UUID,
        limit: int,
        flush: Callable[[list[str]], Awaitable[None]],
    ) -> list[dict[str, Any]]:
        """Sessions the user watched (invited, or opened as staff), each with the room role
        they had and their own notes; `flush` archives the rooms still running first, so
        notes written a moment ago are there."""
        mine = SessionObserver.user_id == user_id
        rows = await self._listing(
            InterviewSession.id.is_in(
                SessionObserver.select(SessionObserver.session_id).where(mine)
            ),
            limit,
        )
        if not rows:
            return []
        ids = [row["id"] for row in rows]
        roles = await SessionObserver.select(
            SessionObserver.session_id, SessionObserver.role
        ).where(mine & SessionObserver.session_id.is_in(ids))
        role_of = {r["session_id"]: r["role"] for r in roles}
        live = [str(row["id"]) for row in rows if row["status"] in LIVE_STATUSES]
        if live:
            await flush(live)
        notes = await _notes_by(user_id, ids)
        return [
            {**row, "observed_as": role_of.get(row["id"]), **notes.get(row["id"], {})}
            for row in rows
        ]

    async def live(self, limit: int) -> list[dict[str, Any]]:
        return await self._listing(InterviewSession.status.is_in(list(LIVE_STATUSES)), limit)

    async def _listing(self, where: Any, limit: int) -> list[dict[str, Any]]:
        rows = (
            await InterviewSession.select(
                *InterviewSession.all_columns(),
                InterviewSession.question_id.title.as_alias("question_title"),
                InterviewSession.question_id.slug.as_alias("question_slug"),
                InterviewSession.question_id.type.as_alias("question_type"),
                InterviewSession.user_id.name.as_alias("candidate_name"),
            )
            .where(where)
            .order_by(InterviewSession.started_at, ascending=False)
            .limit(limit)
        )
        scores = await _scores([row["id"] for row in rows])
        return [{**row, **scores.get(row["id"], {})} for row in rows]

    async def invite(
        self, viewer: Viewer, access: Access, email: str | None, max_uses: int
    ) -> tuple[str, dict[str, Any]]:
        """A new invite link for the room: (token, row). Staff invite interviewers; the
        candidate invites peers, who see what the candidate sees and send no command."""
        staff = viewer.role in STAFF_ROLES
        if access.room_role != Role.CANDIDATE and not staff:
            raise Forbidden("Only the candidate or staff can invite observers.", code="forbidden")
        if access.session["status"] not in LIVE_STATUSES:
            raise Conflict(
                "This session has ended; it takes no more observers.", code="session_ended"
            )
        token = secrets.token_urlsafe(24)
        now = datetime.now(UTC)
        rows = await SessionInvite.insert(
            SessionInvite(
                session_id=access.session["id"],
                token_hash=_hash(token),
                created_by=viewer.user_id,
                created_at=now,
                expires_at=now + INVITE_LIFETIME,
                role=INTERVIEWER_INVITE if staff else PEER_INVITE,
                max_uses=max_uses,
                email=email,
            )
        ).returning(*SessionInvite.all_columns())
        return token, dict(rows[0])

    async def accept_invite(self, viewer: Viewer, token: str) -> uuid.UUID:
        """Admits the viewer to the invite's room, once per use; refused with a coded error
        when the link is unknown, revoked, spent, expired, for another address, or the room
        has ended. Accepting again as the same person spends nothing."""
        async with SessionInvite._meta.db.transaction():
            invite = await (
                SessionInvite.select()
                .where(SessionInvite.token_hash == _hash(token))
                .lock_rows()
                .first()
            )
            if invite is None or invite["revoked"]:
                raise NotFound("This invite link is not valid.", code="invite_invalid")
            session_id: uuid.UUID = invite["session_id"]
            session = await self._row(session_id)
            assert session is not None  # the invite row cascades with its session
            if session["user_id"] == viewer.user_id:
                return session_id  # the candidate opening their own link: nothing to grant
            if await self._observer_role(session_id, viewer.user_id) == invite["role"]:
                return session_id
            if invite["expires_at"] < datetime.now(UTC) or session["status"] not in LIVE_STATUSES:
                raise Conflict("This invite link has expired.", code="invite_expired")
            if invite["email"] is not None and invite["email"] != await _email_of(viewer.user_id):
                raise Forbidden("This invite is for another address.", code="invite_not_yours")
            if invite["uses"] >= invite["max_uses"]:
                raise Conflict("This invite link has been used.", code="invite_used")
            await SessionInvite.update({SessionInvite.uses: SessionInvite.uses + 1}).where(
                SessionInvite.id == invite["id"]
            )
            await SessionObserver.insert(
                SessionObserver(
                    session_id=session_id,
                    user_id=viewer.user_id,
                    joined_at=datetime.now(UTC),
                    role=invite["role"],
                    invite_id=invite["id"],
                )
            ).on_conflict(
                target=(SessionObserver.session_id, SessionObserver.user_id),
                action="DO UPDATE",
                values=[SessionObserver.role, SessionObserver.invite_id, SessionObserver.joined_at],
            )
        return session_id

    async def invites(self, viewer: Viewer, access: Access) -> list[dict[str, Any]]:
        """The room's invites, newest first, each with who accepted it (owner and staff)."""
        self._may_manage_invites(viewer, access)
        rows = await (
            SessionInvite.select(
                *SessionInvite.all_columns(exclude=[SessionInvite.token_hash]),
                SessionInvite.created_by.name.as_alias("created_by_name"),
            )
            .where(SessionInvite.session_id == access.session["id"])
            .order_by(SessionInvite.created_at, ascending=False)
        )
        if not rows:
            return []
        accepted = await SessionObserver.select(
            SessionObserver.invite_id,
            SessionObserver.user_id,
            SessionObserver.role,
            SessionObserver.joined_at,
            SessionObserver.user_id.name.as_alias("name"),
        ).where(SessionObserver.invite_id.is_in([row["id"] for row in rows]))
        by_invite: dict[uuid.UUID, list[dict[str, Any]]] = {}
        for row in accepted:
            by_invite.setdefault(row["invite_id"], []).append(row)
        return [{**row, "accepted_by": by_invite.get(row["id"], [])} for row in rows]

    async def revoke_invite(
        self, viewer: Viewer, access: Access, invite_id: uuid.UUID
    ) -> list[uuid.UUID]:
        """Revokes the link and removes whoever it let in; returns their user ids."""
        self._may_manage_invites(viewer, access)
        async with SessionInvite._meta.db.transaction():
            found = (
                await SessionInvite.update(
                    {SessionInvite.revoked: True, SessionInvite.revoked_at: datetime.now(UTC)}
                )
                .where(
                    (SessionInvite.id == invite_id)
                    & (SessionInvite.session_id == access.session["id"])
                )
                .returning(SessionInvite.id)
            )
            if not found:
                raise NotFound("No such invite in this session.", code="invite_not_found")
            removed = (
                await SessionObserver.delete()
                .where(SessionObserver.invite_id == invite_id)
                .returning(SessionObserver.user_id)
            )
        return [row["user_id"] for row in removed]

    @staticmethod
    def _may_manage_invites(viewer: Viewer, access: Access) -> None:
        if access.room_role != Role.CANDIDATE and viewer.role not in STAFF_ROLES:
            raise Forbidden("Only the candidate or staff manage this room's invites.")

    @staticmethod
    async def _observer_role(session_id: uuid.UUID, user_id: uuid.UUID) -> str | None:
        row = await (
            SessionObserver.select(SessionObserver.role)
            .where(
                (SessionObserver.session_id == session_id)
                & (SessionObserver.user_id == user_id)
                & _granted_by_invite()
            )
            .first()
        )
        return None if row is None else str(row["role"])

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
        """How the room shows the user to the others in it: never a part of their address."""
        row = await User.select(User.name, User.role).where(User.id == user_id).first()
        if row is None:
            return "someone"
        return public_name(user_id, row["name"], row["role"])

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


async def _email_of(user_id: uuid.UUID) -> str | None:
    row = await User.select(User.email).where(User.id == user_id).first()
    return None if row is None else str(row["email"])


SELECT_SCORES = f"""
SELECT s.session_id, e.score, {COUNTED_ATTEMPT} AS counted
FROM evaluations e JOIN solutions s ON s.id = e.solution_id
WHERE s.session_id = ANY({{}}::uuid[])
"""  # noqa: S608 - built from our own constants


async def _scores(session_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    """Each evaluated session's score, and whether it counts in statistics (an empty attempt
    does not: `evaluator.stats`)."""
    if not session_ids:
        return {}
    rows = await Evaluation.raw(SELECT_SCORES, session_ids)
    return {row["session_id"]: {"score": row["score"], "counted": row["counted"]} for row in rows}


# The observer's own notes per session, oldest first, at most NOTES_PER_SUMMARY of each.
SELECT_NOTES = """
SELECT session_id, text, created_at, total FROM (
    SELECT session_id, payload->>'text' AS text, created_at, seq,
        row_number() OVER (PARTITION BY session_id ORDER BY seq) AS n,
        count(*) OVER (PARTITION BY session_id) AS total
    FROM session_events
    WHERE session_id = ANY({}::uuid[]) AND type = 'note.added' AND actor = {}
) notes
WHERE n <= {}
ORDER BY session_id, seq
"""


async def _notes_by(
    user_id: uuid.UUID, session_ids: list[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    rows = await SessionEvent.raw(SELECT_NOTES, session_ids, str(user_id), NOTES_PER_SUMMARY)
    found: dict[uuid.UUID, dict[str, Any]] = {}
    for row in rows:
        entry = found.setdefault(row["session_id"], {"notes": [], "note_count": row["total"]})
        entry["notes"].append({"text": row["text"], "at": row["created_at"]})
    return found
