"""Interview sessions over HTTP: seed operations 9-12 and the room's REST twin of the socket.

Every command goes through the same room service as the WebSocket, so REST and WebSocket
clients see one room.
"""

from __future__ import annotations

import uuid  # noqa: TC003 - Litestar resolves handler annotations at runtime
from typing import TYPE_CHECKING, Any, Literal

from litestar import Controller, Response, get, post, put
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED

from domain.commands import Advance, Answer, AnswerMode, Clarify, Draft, Hint, Note, Submit
from domain.room_tables import SessionEvent
from server.auth.principal import require_role
from server.session_views import (
    Accepted,
    AnswerBody,
    AnswerModeBody,
    ClarifyAnswer,
    ClarifyBody,
    DraftBody,
    EventPage,
    Invite,
    InviteAccepted,
    SessionSummary,
    SessionView,
    StartSession,
    TextBody,
    session_view,
    summary,
)
from server.sessions import Viewer, actor_for

if TYPE_CHECKING:
    from domain.commands import Command
    from rooms.service import Outcome
    from server.auth.tokens import Principal
    from server.services import Services

MAX_LIST = 100
MAX_EVENTS_PAGE = 1000


def _viewer(principal: Principal) -> Viewer:
    return Viewer(principal.user_id, principal.role)


async def _run(
    services: Services, principal: Principal, session_id: uuid.UUID, command: Command
) -> Outcome:
    viewer = _viewer(principal)
    access = await services.sessions.access(viewer, session_id)
    return await services.rooms.execute(str(session_id), command, actor_for(viewer, access))


async def _apply(
    services: Services, principal: Principal, session_id: uuid.UUID, command: Command
) -> Accepted:
    outcome = await _run(services, principal, session_id, command)
    return Accepted(seq=outcome.last_seq, phase=outcome.state.phase.value)


async def _view(services: Services, principal: Principal, session_id: uuid.UUID) -> SessionView:
    access = await services.sessions.access(_viewer(principal), session_id)
    seq, state = await services.rooms.state(str(session_id))
    question = await services.sessions.question_of(access.session)
    return session_view(access.session, question, seq, state, access.room_role.value)


class SessionController(Controller):
    tags = ["sessions"]

    @post("/questions/{question_ref:str}/sessions", summary="Start (or resume) a session")
    async def start(
        self, question_ref: str, data: StartSession, services: Services, principal: Principal
    ) -> Response[SessionView]:
        created, row = await services.sessions.start(
            _viewer(principal), question_ref, data.mode, data.durations
        )
        view = await _view(services, principal, row["id"])
        return Response(view, status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @get("/sessions", summary="My sessions (or those I was invited to watch), newest first")
    async def mine(
        self,
        services: Services,
        principal: Principal,
        limit: int = Parameter(default=50, ge=1, le=MAX_LIST),
        role: Literal["candidate", "observer"] = "candidate",
    ) -> list[SessionSummary]:
        listing = services.sessions.mine if role == "candidate" else services.sessions.observed
        return [summary(row) for row in await listing(principal.user_id, limit)]

    @get(
        "/sessions/live", summary="Rooms in progress", guards=[require_role("interviewer", "admin")]
    )
    async def live(
        self, services: Services, limit: int = Parameter(default=50, ge=1, le=MAX_LIST)
    ) -> list[SessionSummary]:
        return [summary(row) for row in await services.sessions.live(limit)]

    @get("/sessions/{session_id:uuid}", summary="A session's live state")
    async def get_session(
        self, session_id: uuid.UUID, services: Services, principal: Principal
    ) -> SessionView:
        return await _view(services, principal, session_id)

    @post(
        "/sessions/{session_id:uuid}/clarifications",
        summary="Ask a clarifying question",
        status_code=HTTP_200_OK,
    )
    async def clarify(
        self, session_id: uuid.UUID, data: ClarifyBody, services: Services, principal: Principal
    ) -> ClarifyAnswer:
        outcome = await _run(services, principal, session_id, Clarify(question=data.question))
        asked = outcome.state.clarifications[-1]
        return ClarifyAnswer(
            clarification_id=asked.id,
            question=asked.question,
            answer=asked.answer,
            answered_by=asked.answered_by,
            status="answered" if asked.answer is not None else "pending",
            clarifications_left=max(
                0, outcome.state.max_clarifications - len(outcome.state.clarifications)
            ),
            seq=outcome.last_seq,
        )

    @post(
        "/sessions/{session_id:uuid}/design", summary="Proceed to design", status_code=HTTP_200_OK
    )
    async def design(
        self, session_id: uuid.UUID, services: Services, principal: Principal
    ) -> SessionView:
        await _run(services, principal, session_id, Advance(to="design"))
        return await _view(services, principal, session_id)

    @put("/sessions/{session_id:uuid}/solution", summary="Save draft sections")
    async def draft(
        self, session_id: uuid.UUID, data: DraftBody, services: Services, principal: Principal
    ) -> SessionView:
        for section, text in data.sections().items():
            await _run(services, principal, session_id, Draft(section=section, text=text))
        return await _view(services, principal, session_id)

    @post(
        "/sessions/{session_id:uuid}/submit",
        summary="Submit the solution",
        status_code=HTTP_202_ACCEPTED,
    )
    async def submit(
        self, session_id: uuid.UUID, services: Services, principal: Principal
    ) -> Accepted:
        return await _apply(services, principal, session_id, Submit())

    @post(
        "/sessions/{session_id:uuid}/answers/{clarification_id:str}",
        summary="Answer a pending clarification (observers)",
        status_code=HTTP_200_OK,
    )
    async def answer(
        self,
        session_id: uuid.UUID,
        clarification_id: str,
        data: AnswerBody,
        services: Services,
        principal: Principal,
    ) -> Accepted:
        command = Answer(clarification_id=clarification_id, text=data.text)
        return await _apply(services, principal, session_id, command)

    @post(
        "/sessions/{session_id:uuid}/hints",
        summary="Give a hint (observers)",
        status_code=HTTP_200_OK,
    )
    async def hint(
        self, session_id: uuid.UUID, data: TextBody, services: Services, principal: Principal
    ) -> Accepted:
        return await _apply(services, principal, session_id, Hint(text=data.text))

    @post(
        "/sessions/{session_id:uuid}/notes",
        summary="Add a private note (observers)",
        status_code=HTTP_200_OK,
    )
    async def note(
        self, session_id: uuid.UUID, data: TextBody, services: Services, principal: Principal
    ) -> Accepted:
        return await _apply(services, principal, session_id, Note(text=data.text))

    @put("/sessions/{session_id:uuid}/answer-mode", summary="Rules or a human answers (observers)")
    async def answer_mode(
        self, session_id: uuid.UUID, data: AnswerModeBody, services: Services, principal: Principal
    ) -> Accepted:
        return await _apply(services, principal, session_id, AnswerMode(mode=data.mode))

    @post(
        "/sessions/{session_id:uuid}/invites",
        summary="Invite an observer",
        status_code=HTTP_201_CREATED,
    )
    async def invite(
        self, session_id: uuid.UUID, services: Services, principal: Principal
    ) -> Invite:
        viewer = _viewer(principal)
        access = await services.sessions.access(viewer, session_id)
        token, expires = await services.sessions.invite(viewer, access)
        url = f"{services.settings.base_url}/#/invite/{token}"
        return Invite(token=token, url=url, expires_at=expires)

    @post(
        "/invites/{token:str}/accept",
        summary="Accept an invite and observe the session",
        status_code=HTTP_200_OK,
    )
    async def accept(self, token: str, services: Services, principal: Principal) -> InviteAccepted:
        session_id = await services.sessions.accept_invite(_viewer(principal), token)
        return InviteAccepted(session_id=session_id)

    @get("/sessions/{session_id:uuid}/events", summary="The event log, for replay")
    async def events(
        self,
        session_id: uuid.UUID,
        services: Services,
        principal: Principal,
        after: int = Parameter(default=0, ge=0),
        limit: int = Parameter(default=500, ge=1, le=MAX_EVENTS_PAGE),
    ) -> EventPage:
        access = await services.sessions.access(_viewer(principal), session_id)
        await services.archiver.flush([str(session_id)])
        query = SessionEvent.select(SessionEvent.payload).where(
            (SessionEvent.session_id == session_id) & (SessionEvent.seq > after)
        )
        if access.room_role != "observer":
            query = query.where(SessionEvent.audience == "all")
        rows = await query.order_by(SessionEvent.seq).limit(limit + 1)
        events: list[dict[str, Any]] = [_payload(row["payload"]) for row in rows[:limit]]
        next_after = events[-1]["seq"] if len(rows) > limit else None
        return EventPage(events=events, next_after=next_after)


def _payload(raw: Any) -> dict[str, Any]:
    import msgspec

    decoded: dict[str, Any] = msgspec.json.decode(raw) if isinstance(raw, str | bytes) else raw
    return decoded
