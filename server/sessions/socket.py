"""The live room over WebSocket: `/ws/sessions/{id}?after=<seq>`.

One connection = one subscriber to the room's fan-out plus a command reader. Every command gets
an `ack` or a coded `error` frame and the connection stays usable; only authentication, an
unknown room and flooding close it, with 4xxx codes: 4000 + the HTTP status of the error
(`server.errors.ERRORS`), 4400 for a malformed handshake, 4429 for flooding (docs/protocol.md).

The connection follows its sign-in (`server.accounts.live`): it closes with 4401 when its
session is revoked, when its token expires without an `auth` frame renewing it, or when the
account's role changes, and with 4404 when the user may no longer see the room.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
import uuid
from typing import TYPE_CHECKING, Any, cast

import msgspec
from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect
from uvicorn.protocols.utils import ClientDisconnected

from domain.commands import Actor, Join, Leave, Role, RoomRole
from domain.decide import CLIENT_COMMAND_TYPES, decode_client_command
from domain.errors import DomainError
from rooms.errors import RoomError
from rooms.frames import Snapshot, snapshot_frame
from rooms.hub import Subscriber
from rooms.service import SYSTEM
from server.accounts import users as accounts
from server.accounts.guards import authenticate_token, authenticate_websocket, websocket_subprotocol
from server.errors import (
    UNAVAILABLE_ERRORS,
    AppError,
    BadRequest,
    SlowConsumer,
    TokenStale,
    error_frame,
    translate,
    unavailable_frame,
)
from server.sessions.service import Access, Viewer
from server.sessions.socket_tools import TokenBucket

if TYPE_CHECKING:
    from litestar.types import WebSocketDisconnectEvent, WebSocketReceiveEvent

    from server.accounts.tokens import Principal
    from server.context import AppContext

log = logging.getLogger("interview_rooms.ws")

# A design section is at most 20k characters; 64 KiB leaves room for JSON escaping.
MAX_FRAME_BYTES = 64 * 1024
MAX_COMMAND_ID_CHARS = 64
# Frames per connection (pings and renewals included), a first line before the per-user quota
# in Redis that every command also passes (`server.sessions.quotas`).
FRAMES_PER_SEC = 20.0
FRAME_BURST = 60.0
# Events queued for a socket that is not reading them, counted in characters: past this the
# socket is closed (4408 slow_consumer) and its client resumes with `after`.
MAX_QUEUED_CHARS = 1024 * 1024
# A frame the client has not taken in this long (its TCP window stayed shut): the client stopped
# reading altogether. Its connection is let go without a close frame, which it could not read.
SEND_STALL_SECS = 20.0
# Refused frames (rate-limited or malformed) after which the client is flooding and is closed;
# the count starts again after a quiet spell, so an honest burst is forgiven.
FLOOD_STRIKES = 200
FLOOD_QUIET_SECS = 10.0

# Closes that are not an error of ours: a malformed handshake and a flooding client. Every
# other close code comes from `server.errors.ERRORS` (4000 + the HTTP status).
BAD_REQUEST_CLOSE = 4400
FLOODING_CLOSE = 4429
# Postgres or Redis is down at the handshake (4000 + 503, like every other close code).
UNAVAILABLE_CLOSE = 4503
_encoder = msgspec.json.Encoder()
# msgspec names the offending field as "... - at `$.section`".
_FIELD_PATH = re.compile(r"at `\$\.(\w+)")


def _error(command_id: Any, code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "id": command_id, "code": code, "message": message}


def _parse_after(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise ValueError(raw)
    return int(raw)


class RoomConnection:
    # Slots: thousands of these live at once, and each idle one should cost little memory.
    __slots__ = (
        "_bucket",
        "_ended",
        "_last_strike",
        "_reader",
        "_send_lock",
        "_strikes",
        "abandoned",
        "actor",
        "address",
        "connection_id",
        "ctx",
        "name",
        "observer",
        "principal",
        "room_role",
        "session_id",
        "socket",
    )

    def __init__(
        self,
        socket: WebSocket[Any, Any, Any],
        ctx: AppContext,
        principal: Principal,
        access: Access,
        name: str,
    ) -> None:
        self.socket, self.ctx, self.principal = socket, ctx, principal
        self.address = socket.client.host if socket.client else ""
        self.session_id = str(access.session["id"])
        self.room_role = access.room_role
        self.actor = Actor(user_id=str(principal.user_id), role=access.room_role)
        self.name = name
        self.observer = access.room_role == Role.OBSERVER
        self._send_lock = asyncio.Lock()
        self._bucket = TokenBucket(FRAMES_PER_SEC, FRAME_BURST)
        self._strikes = 0
        self._last_strike = 0.0
        self._ended = self.abandoned = False
        self._reader: asyncio.Task[Any] | None = None
        self.connection_id = uuid.uuid4().hex

    async def send_text(self, text: str) -> None:
        async with self._send_lock:
            if self._ended:
                return
            try:
                async with asyncio.timeout(SEND_STALL_SECS):
                    await self.socket.send_data(text)
            except TimeoutError:
                self._let_go()

    def _let_go(self) -> None:
        """The client stopped reading: nothing more is sent, and the reader stops, so the
        connection's subscription, presence and socket slot are released at once."""
        log.info("letting go of a stalled socket in room %s", self.session_id)
        self._ended = self.abandoned = True
        if self._reader is not None:
            self._reader.cancel()

    async def end(self, error: AppError) -> None:
        """Says why in an error frame, then closes with the error's 4xxx code; the read loop
        sees the close and the connection cleans up as after any disconnect."""
        async with self._send_lock:
            if self._ended:
                return
            self._ended = True
            with contextlib.suppress(Exception):  # the client may be gone already
                await self.socket.send_data(_encoder.encode(error_frame(error)).decode())
                await self.socket.close(translate(error).close_code, error.code)

    async def recheck(self) -> None:
        """The account changed (role, an invite revoked): ends the socket if its token's role
        is no longer the account's or the room is no longer the user's to see."""
        try:
            user = await accounts.get_user(self.principal.user_id)
            if user["role"] != self.principal.role:
                raise TokenStale("Your role changed; refresh the token and reconnect.")
            viewer = Viewer(self.principal.user_id, user["role"])
            access = await self.ctx.sessions.access(viewer, uuid.UUID(self.session_id))
            if access.room_role != self.room_role:
                raise TokenStale("Your place in this room changed; reconnect.")
        except AppError as exc:
            self.ctx.live.discard(self)
            await self.end(exc)

    async def send(self, frame: dict[str, Any]) -> None:
        await self.send_text(_encoder.encode(frame).decode())

    async def heartbeat(self) -> None:
        """Keeps the socket's presence alive and tells the client the server's time."""
        now = time.time()
        with contextlib.suppress(Exception):
            await self.ctx.engine.presence.refresh(
                self.session_id, self.actor.user_id, self.connection_id, now
            )
            await self.ctx.quotas.renew_socket(
                self.principal.user_id, self.address, self.connection_id
            )
            await self.send({"type": "heartbeat", "server_time": round(now, 3)})

    async def send_snapshot(self) -> int:
        seq, state = await self.ctx.rooms.state(self.session_id)
        role = self.room_role.value
        extra = {
            "role": role,
            "server_time": round(time.time(), 3),
            "clarifications_left": max(0, state.max_clarifications - len(state.clarifications)),
            # A snapshot is where the client starts again: `after` did not resume it.
            "epoch": await self.ctx.store.epoch(self.session_id),
            "resumed": False,
        }
        await self.send_text(snapshot_frame(Snapshot(seq, state), role, extra).decode())
        return seq

    async def run(self, after: int | None, epoch: int | None = None) -> None:
        self._reader = asyncio.current_task()
        current = await self.ctx.store.current_seq(self.session_id) or 0
        # The client's `after` counts in its epoch; a room rebuilt since counts anew.
        stale = epoch is not None and epoch != await self.ctx.store.epoch(self.session_id)
        if after is None or after > current or stale:
            after = await self.send_snapshot()
        subscriber = Subscriber(
            self.session_id,
            self.observer,
            after,
            self.ctx.store,
            self.send_text,
            self.send_snapshot,
            max_queued_chars=MAX_QUEUED_CHARS,
            on_overflow=self._fell_behind,
        )
        await self.ctx.hub.subscribe(subscriber)
        self.ctx.heartbeats.add(self)
        self.ctx.live.add(self)
        try:
            await self._presence(arriving=True)
        except Exception:  # presence is shown, not relied on: the room still works without it
            log.warning(
                "could not announce a socket's arrival in %s", self.session_id, exc_info=True
            )
        try:
            await self._read_loop()
        finally:
            self.ctx.live.discard(self)
            self.ctx.hub.unsubscribe(subscriber)
            self.ctx.heartbeats.discard(self)
            with contextlib.suppress(Exception):
                await self._presence(arriving=False)

    def _fell_behind(self) -> None:
        """The subscriber's queue passed its budget: the client is not reading; let it go."""
        log.info("closing a slow consumer in room %s", self.session_id)
        error = SlowConsumer("This connection fell too far behind the room; reconnect with after.")
        task = asyncio.create_task(self.end(error))
        _ENDING.add(task)
        task.add_done_callback(_ENDING.discard)

    async def _presence(self, arriving: bool) -> None:
        """Joins on a user's first live socket in the room, leaves on their last."""
        board, now = self.ctx.engine.presence, time.time()
        user = self.actor.user_id
        if arriving and await board.join(self.session_id, user, self.connection_id, now):
            role = cast("RoomRole", self.room_role.value)
            join = Join(user_id=user, role=role, name=self.name)
            await self.ctx.rooms.execute(self.session_id, join, SYSTEM)
        elif not arriving and await board.leave(self.session_id, user, self.connection_id, now):
            await self.ctx.rooms.execute(self.session_id, Leave(user_id=user), SYSTEM)

    async def _read_loop(self) -> None:
        while True:
            # After accept() the ASGI server sends only these two (litestar casts the same way).
            message = cast(
                "WebSocketReceiveEvent | WebSocketDisconnectEvent", await self.socket.receive()
            )
            if message["type"] == "websocket.disconnect" or self._ended:
                return
            raw = message.get("text")
            raw = (
                raw if raw is not None else (message.get("bytes") or b"").decode("utf-8", "replace")
            )
            reply = await self.handle(raw)
            await self.send(reply)
            if reply["type"] == "error" and reply["code"] in FLOOD_CODES and self._strike():
                await self.socket.close(FLOODING_CLOSE, "flooding")
                return

    def _strike(self) -> bool:
        """Counts a refused frame; True once the client is flooding."""
        now = time.monotonic()
        if now - self._last_strike > FLOOD_QUIET_SECS:
            self._strikes = 0
        self._strikes, self._last_strike = self._strikes + 1, now
        return self._strikes >= FLOOD_STRIKES

    async def handle(self, raw: str) -> dict[str, Any]:
        """One client frame in, one `ack` / `pong` / `error` frame out."""
        if len(raw.encode()) > MAX_FRAME_BYTES:
            return _error(
                None, "frame_too_large", f"Frames are limited to {MAX_FRAME_BYTES} bytes."
            )
        if not self._bucket.take():
            return _error(None, "rate_limited", "Too many commands; slow down.")
        try:
            envelope = msgspec.json.decode(raw)
        except msgspec.DecodeError:
            return _error(None, "invalid_frame", "The frame is not valid JSON.")
        except RecursionError:  # msgspec's answer to JSON nested deeper than it can recurse
            return _error(None, "invalid_frame", "The frame is nested too deeply.")
        if not isinstance(envelope, dict) or not isinstance(envelope.get("type"), str):
            return _error(None, "invalid_frame", "A frame is a JSON object with a string 'type'.")
        command_id = envelope.pop("id", None)
        if command_id is not None and (
            not isinstance(command_id, str | int)
            or isinstance(command_id, bool)
            or len(str(command_id)) > MAX_COMMAND_ID_CHARS
        ):
            return _error(
                None, "invalid_frame", "'id' is a string or integer of at most 64 characters."
            )
        if envelope["type"] == "ping":
            return {"type": "pong", "id": command_id, "server_time": round(time.time(), 3)}
        if envelope["type"] == "auth":
            return await self._renew(envelope.get("token"), command_id)
        return await self._command(envelope, command_id)

    async def _renew(self, token: Any, command_id: Any) -> dict[str, Any]:
        """`{"type": "auth", "token": <fresh access token>}`: the socket lives on past the old
        token's expiry. The token must be the same user's; a changed role reconnects."""
        if not isinstance(token, str) or not token:
            return error_frame(BadRequest("'token' is an access token.", field="token"), command_id)
        try:
            principal = await authenticate_token(self.ctx, token)
        except AppError as exc:
            return error_frame(exc, command_id)
        if principal.user_id != self.principal.user_id:
            return _error(command_id, "token_mismatch", "That token is another user's.")
        previous, self.principal = self.principal, principal
        self.ctx.live.renewed(self, previous)
        if principal.role != previous.role:
            await self.recheck()
        return {"type": "ack", "id": command_id, "seq": None, "expires_at": principal.expires_at}

    async def _command(self, envelope: dict[str, Any], command_id: Any) -> dict[str, Any]:
        try:
            command = decode_client_command(msgspec.json.encode(envelope))
        except RecursionError:  # re-encoding runs a frame deeper than the first decode
            return _error(command_id, "invalid_frame", "The frame is nested too deeply.")
        except msgspec.ValidationError as exc:
            if envelope["type"] not in CLIENT_COMMAND_TYPES:
                return _error(command_id, "unknown_type", f"Unknown type {envelope['type']!r}.")
            frame = _error(command_id, "invalid_command", str(exc))
            field = _FIELD_PATH.search(str(exc))
            return frame | {"field": field.group(1)} if field else frame
        try:
            await self.ctx.quotas.take_command(self.principal.user_id)
        except AppError as exc:
            return error_frame(exc, command_id)
        try:
            outcome = await self.ctx.rooms.execute(
                self.session_id,
                command,
                self.actor,
                str(command_id) if command_id is not None else None,
            )
        except (DomainError, RoomError) as exc:
            return error_frame(exc, command_id)
        except UNAVAILABLE_ERRORS as exc:
            log.warning("command %s in room %s: %s", envelope["type"], self.session_id, exc)
            return unavailable_frame(command_id)
        except Exception:  # the socket survives a failure of ours; the client may retry the id
            log.exception("command %s failed in room %s", envelope["type"], self.session_id)
            return _error(command_id, "internal_error", "The command failed on our side; retry it.")
        seq = outcome.last_seq if outcome.last_seq >= outcome.first_seq else None
        return {"type": "ack", "id": command_id, "seq": seq, "duplicate": outcome.duplicate}


FLOOD_CODES = frozenset({"rate_limited", "invalid_frame", "frame_too_large"})
# Closing tasks started from a callback, kept referenced until done.
_ENDING: set[asyncio.Task[None]] = set()


@websocket("/ws/sessions/{session_id:uuid}", name="room-socket")
async def room_socket(
    socket: WebSocket[Any, Any, Any], session_id: uuid.UUID, ctx: AppContext
) -> None:
    """The live room (see docs/protocol.md)."""
    try:
        after = _parse_after(socket.query_params.get("after"))
        epoch = _parse_after(socket.query_params.get("epoch"))
        principal = await authenticate_websocket(socket, ctx)
        access = await ctx.sessions.access(Viewer(principal.user_id, principal.role), session_id)
        name = await ctx.sessions.display_name(principal.user_id)
        connection = RoomConnection(socket, ctx, principal, access, name)
        slot = (principal.user_id, connection.address, connection.connection_id)
        await ctx.quotas.open_socket(*slot)
    except ValueError:
        await _refuse(
            socket,
            BAD_REQUEST_CLOSE,
            _error(None, "bad_request", "'after' and 'epoch' are whole numbers."),
        )
        return
    except AppError as exc:
        await _refuse(socket, translate(exc).close_code, error_frame(exc))
        return
    except UNAVAILABLE_ERRORS as exc:  # Postgres or Redis is down: say so, and when to retry
        log.warning("room socket handshake in %s: a dependency is down: %s", session_id, exc)
        await _refuse(socket, UNAVAILABLE_CLOSE, unavailable_frame())
        return
    try:
        await socket.accept(subprotocols=websocket_subprotocol(socket))
        await connection.run(after, epoch)
    except (WebSocketDisconnect, ClientDisconnected):  # the client (or a shutdown) closed it
        pass
    except asyncio.CancelledError:
        if not connection.abandoned:
            raise
        cast("asyncio.Task[Any]", asyncio.current_task()).uncancel()  # our own cancel: done
    except Exception:
        log.exception("room socket failed in %s", session_id)
        raise
    finally:
        with contextlib.suppress(Exception):
            await ctx.quotas.close_socket(*slot)


async def _refuse(socket: WebSocket[Any, Any, Any], close_code: int, frame: dict[str, Any]) -> None:
    """Accepts only to say why, then closes with a 4xxx code (a refused handshake says nothing)."""
    await socket.accept(subprotocols=websocket_subprotocol(socket))
    await socket.send_data(_encoder.encode(frame).decode())
    await socket.close(close_code, frame["code"])


__all__ = ["room_socket"]
