"""Interview sessions over HTTP: seed operations 9-12 and the room's REST twin of the socket.

Every command goes through the same room service as the WebSocket, so REST and WebSocket
clients see one room.
"""

from __future__ import annotations

import uuid  # noqa: TC003 - Litestar resolves handler annotations at runtime
from typing import TYPE_CHECKING, Literal

from litestar import Controller, Response, delete, get, post, put
from litestar.params import Parameter
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_201_CREATED,
    HTTP_202_ACCEPTED,
    HTTP_204_NO_CONTENT,
)

from domain.commands import (
    Advance,
    Answer,
    AnswerMode,
    Clarify,
    Draft,
    Followup,
    FollowupAnswer,
    FollowupRequest,
    Hint,
    Note,
    Submit,
)
from server.accounts.guards import require_role
from server.accounts.live import announce_account_changed
from server.accounts.otp import normalise_email
from server.limits import SOLUTION_BODY_BYTES
from server.sessions import answer_key as answer_keys
from server.sessions.answer_key import AnswerKey, ModelAnswer  # noqa: TC001 - Litestar reads these
from server.sessions.schemas import (
    Accepted,
    AnswerBody,
    AnswerModeBody,
    ClarifyAnswer,
    ClarifyBody,
    DraftBody,
    EventPage,
    FollowupAccepted,
    FollowupBody,
    Invite,
    InviteAccepted,
    InviteRequest,
    InviteView,
    SessionSummary,
    SessionView,
    StartSession,
    TextBody,
    draft_parts,
    invite_view,
    session_view,
    summary,
)
from server.sessions.service import Viewer, actor_for

if TYPE_CHECKING:
    from domain.commands import Command
    from rooms.service import Outcome
    from server.accounts.tokens import Principal
    from server.context import AppContext

MAX_LIST = 100
MAX_EVENTS_PAGE = 1000
# Past any `seq` of a log (a bigint), and exact as the float the OpenAPI document writes it as;
# an `after` over 2**63 - 1 was a 500 (found by Schemathesis).
MAX_SEQ = 2**53 - 1


def _viewer(principal: Principal) -> Viewer:
    return Viewer(principal.user_id, principal.role)


async def _run(
    ctx: AppContext, principal: Principal, session_id: uuid.UUID, command: Command
) -> Outcome:
    viewer = _viewer(principal)
    access = await ctx.sessions.access(viewer, session_id)
    await ctx.quotas.take_command(principal.user_id)  # shared with the user's sockets
    return await ctx.rooms.execute(str(session_id), command, actor_for(viewer, access))


async def _apply(
    ctx: AppContext, principal: Principal, session_id: uuid.UUID, command: Command
) -> Accepted:
    outcome = await _run(ctx, principal, session_id, command)
    return Accepted(seq=outcome.last_seq, phase=outcome.state.phase.value)


async def _view(ctx: AppContext, principal: Principal, session_id: uuid.UUID) -> SessionView:
    access = await ctx.sessions.access(_viewer(principal), session_id)
    seq, state = await ctx.rooms.state(str(session_id))
    question = await ctx.sessions.question_of(access.session)
    epoch = await ctx.store.epoch(str(session_id))
    return session_view(access.session, question, seq, state, access.room_role.value, epoch)


class SessionController(Controller):
    tags = ["sessions"]

    @post("/questions/{question_ref:str}/sessions", summary="Start (or resume) a session")
    async def start(
        self, question_ref: str, data: StartSession, ctx: AppContext, principal: Principal
    ) -> Response[SessionView]:
        created, row = await ctx.sessions.start(
            _viewer(principal), question_ref, data.mode, data.durations
        )
        view = await _view(ctx, principal, row["id"])
        return Response(view, status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @get(
        "/sessions",
        summary="My sessions, or (role=observer) the rooms I watched with my notes; newest first",
    )
    async def mine(
        self,
        ctx: AppContext,
        principal: Principal,
        limit: int = Parameter(default=50, ge=1, le=MAX_LIST),
        role: Literal["candidate", "observer"] = "candidate",
    ) -> list[SessionSummary]:
        if role == "candidate":
            rows = await ctx.sessions.mine(principal.user_id, limit)
        else:
            rows = await ctx.sessions.observed(principal.user_id, limit, ctx.archiver.flush)
        return [summary(row) for row in rows]

    @get(
        "/sessions/live", summary="Rooms in progress", guards=[require_role("interviewer", "admin")]
    )
    async def live(
        self, ctx: AppContext, limit: int = Parameter(default=50, ge=1, le=MAX_LIST)
    ) -> list[SessionSummary]:
        return [summary(row) for row in await ctx.sessions.live(limit)]

    @get("/sessions/{session_id:uuid}", summary="A session's live state")
    async def get_session(
        self, session_id: uuid.UUID, ctx: AppContext, principal: Principal
    ) -> SessionView:
        return await _view(ctx, principal, session_id)

    @post(
        "/sessions/{session_id:uuid}/clarifications",
        summary="Ask a clarifying question",
        status_code=HTTP_200_OK,
    )
    async def clarify(
        self, session_id: uuid.UUID, data: ClarifyBody, ctx: AppContext, principal: Principal
    ) -> ClarifyAnswer:
        outcome = await _run(ctx, principal, session_id, Clarify(question=data.question))
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
            rule_intent=asked.rule_intent,
            confidence=asked.confidence,
        )

    @post(
        "/sessions/{session_id:uuid}/design", summary="Proceed to design", status_code=HTTP_200_OK
    )
    async def design(
        self, session_id: uuid.UUID, ctx: AppContext, principal: Principal
    ) -> SessionView:
        await _run(ctx, principal, session_id, Advance(to="design"))
        return await _view(ctx, principal, session_id)

    @put(
        "/sessions/{session_id:uuid}/solution",
        summary="Save draft sections",
        request_max_body_size=SOLUTION_BODY_BYTES,
    )
    async def draft(
        self,
        session_id: uuid.UUID,
        data: DraftBody,  # type: ignore[valid-type]
        ctx: AppContext,
        principal: Principal,
    ) -> SessionView:
        for section, text in draft_parts(data).items():
            await _run(ctx, principal, session_id, Draft(section=section, text=text))
        return await _view(ctx, principal, session_id)

    @post(
        "/sessions/{session_id:uuid}/submit",
        summary="Submit the solution",
        status_code=HTTP_202_ACCEPTED,
    )
    async def submit(
        self, session_id: uuid.UUID, ctx: AppContext, principal: Principal
    ) -> Accepted:
        return await _apply(ctx, principal, session_id, Submit())

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
        ctx: AppContext,
        principal: Principal,
    ) -> Accepted:
        command = Answer(clarification_id=clarification_id, text=data.text)
        return await _apply(ctx, principal, session_id, command)

    @post(
        "/sessions/{session_id:uuid}/hints",
        summary="Give a hint (observers)",
        status_code=HTTP_200_OK,
    )
    async def hint(
        self, session_id: uuid.UUID, data: TextBody, ctx: AppContext, principal: Principal
    ) -> Accepted:
        return await _apply(ctx, principal, session_id, Hint(text=data.text))

    @post(
        "/sessions/{session_id:uuid}/notes",
        summary="Add a private note (observers)",
        status_code=HTTP_200_OK,
    )
    async def note(
        self, session_id: uuid.UUID, data: TextBody, ctx: AppContext, principal: Principal
    ) -> Accepted:
        return await _apply(ctx, principal, session_id, Note(text=data.text))

    @post(
        "/sessions/{session_id:uuid}/followups",
        summary="Ask a follow-up question (observers: `text`) or ask for one (the candidate: "
        "no `text`)",
        status_code=HTTP_200_OK,
    )
    async def followup(
        self, session_id: uuid.UUID, data: FollowupBody, ctx: AppContext, principal: Principal
    ) -> FollowupAccepted:
        command: Command = FollowupRequest() if data.text is None else Followup(text=data.text)
        outcome = await _run(ctx, principal, session_id, command)
        asked = outcome.state.followups[-1].id if data.text is not None else None
        return FollowupAccepted(
            outcome.last_seq, outcome.state.phase.value, asked, requested=data.text is None
        )

    @post(
        "/sessions/{session_id:uuid}/followups/{followup_id:str}/answer",
        summary="Answer a follow-up question (the candidate)",
        status_code=HTTP_200_OK,
    )
    async def answer_followup(
        self,
        session_id: uuid.UUID,
        followup_id: str,
        data: TextBody,
        ctx: AppContext,
        principal: Principal,
    ) -> Accepted:
        command = FollowupAnswer(followup_id=followup_id, text=data.text)
        return await _apply(ctx, principal, session_id, command)

    @put("/sessions/{session_id:uuid}/answer-mode", summary="Rules or a human answers (observers)")
    async def answer_mode(
        self, session_id: uuid.UUID, data: AnswerModeBody, ctx: AppContext, principal: Principal
    ) -> Accepted:
        return await _apply(ctx, principal, session_id, AnswerMode(mode=data.mode))

    @post(
        "/sessions/{session_id:uuid}/invites",
        summary="Invite an observer: staff invite interviewers, the candidate invites peers",
        status_code=HTTP_201_CREATED,
    )
    async def invite(
        self,
        session_id: uuid.UUID,
        ctx: AppContext,
        principal: Principal,
        data: InviteRequest | None = None,
    ) -> Invite:
        viewer = _viewer(principal)
        access = await ctx.sessions.access(viewer, session_id)
        asked = data or InviteRequest()
        email = normalise_email(asked.email) if asked.email is not None else None
        token, row = await ctx.sessions.invite(viewer, access, email, asked.max_uses)
        url = f"{ctx.settings.base_url}/#/invite/{token}"
        return Invite(
            token=token,
            url=url,
            expires_at=row["expires_at"],
            id=row["id"],
            role=row["role"],
            max_uses=row["max_uses"],
            email=row["email"],
        )

    @get("/sessions/{session_id:uuid}/invites", summary="The room's invites and who accepted")
    async def invites(
        self, session_id: uuid.UUID, ctx: AppContext, principal: Principal
    ) -> list[InviteView]:
        viewer = _viewer(principal)
        access = await ctx.sessions.access(viewer, session_id)
        return [invite_view(row) for row in await ctx.sessions.invites(viewer, access)]

    @delete(
        "/sessions/{session_id:uuid}/invites/{invite_id:uuid}",
        summary="Revoke an invite; whoever it admitted loses the room at once",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def revoke_invite(
        self, session_id: uuid.UUID, invite_id: uuid.UUID, ctx: AppContext, principal: Principal
    ) -> None:
        viewer = _viewer(principal)
        access = await ctx.sessions.access(viewer, session_id)
        removed = await ctx.sessions.revoke_invite(viewer, access, invite_id)
        await announce_account_changed(ctx.redis, removed)

    @post(
        "/invites/{token:str}/accept",
        summary="Accept an invite and observe the session",
        status_code=HTTP_200_OK,
    )
    async def accept(self, token: str, ctx: AppContext, principal: Principal) -> InviteAccepted:
        session_id = await ctx.sessions.accept_invite(_viewer(principal), token)
        return InviteAccepted(session_id=session_id)

    @get(
        "/sessions/{session_id:uuid}/answer-key",
        summary="The interviewer's answer key: rules, suggested answers, rubric, reference",
    )
    async def answer_key(
        self, session_id: uuid.UUID, ctx: AppContext, principal: Principal
    ) -> AnswerKey:
        access = await ctx.sessions.access(_viewer(principal), session_id)
        _, state = await ctx.rooms.state(str(session_id))
        return await answer_keys.answer_key(ctx, access, state)

    @get(
        "/sessions/{session_id:uuid}/model-answer",
        summary="The reference solution, once the solution is submitted",
    )
    async def model_answer(
        self, session_id: uuid.UUID, ctx: AppContext, principal: Principal
    ) -> ModelAnswer:
        access = await ctx.sessions.access(_viewer(principal), session_id)
        _, state = await ctx.rooms.state(str(session_id))
        return await answer_keys.model_answer(access, state)

    @get("/sessions/{session_id:uuid}/events", summary="The event log, for replay")
    async def events(
        self,
        session_id: uuid.UUID,
        ctx: AppContext,
        principal: Principal,
        after: int = Parameter(default=0, ge=0, le=MAX_SEQ),
        limit: int = Parameter(default=500, ge=1, le=MAX_EVENTS_PAGE),
    ) -> EventPage:
        access = await ctx.sessions.access(_viewer(principal), session_id)
        await ctx.archiver.flush([str(session_id)])
        events, next_after = await ctx.sessions.events(access, after, limit)
        return EventPage(events=events, next_after=next_after)
