"""The server's error root and the one translator from every layer's errors to HTTP answers,
WebSocket close codes and error frames (`ERRORS`, used by the HTTP handlers and the socket).

Hierarchy:
    AppError                      server-layer failure with a stable `code` and an HTTP status
      BadRequest                  400  invalid_request, invalid_email, invalid_avatar_url
        OtpInvalid                400  otp_invalid (wrong, unknown or used code; `attempts_left`)
        OtpExpired                400  otp_expired
        OtpLocked                 400  otp_locked (the 5 wrong guesses are spent)
      Unauthorized                401  unauthorized
        TokenMissing              401  token_missing
        TokenInvalid              401  token_invalid (forged, malformed, wrong alg/aud/iss)
        TokenExpired              401  token_expired
        TokenRevoked              401  token_revoked (logout, or a replayed refresh token)
        TokenStale                401  token_stale (the account's role changed since it was issued)
        GoogleTokenInvalid        401  google_token_invalid
      Forbidden                   403  forbidden and the auth codes that deny access
        InsufficientRole          403  insufficient_role
        OriginForbidden           403  origin_forbidden (WebSocket Origin not allowed)
      NotFound                    404  not_found / question_not_found / session_not_found
      Conflict                    409  conflict / google_account_mismatch
      SlowConsumer                408  slow_consumer (a socket too far behind its room's events)
      RateLimited                 429  carries `retry_after` seconds
        TooManySockets            429  too_many_sockets (per user, or per client address)
        OtpAttemptsExhausted      429  otp_attempts_exhausted (failed guesses per address and hour)
      NotEnabled                  501  google_disabled
      Unavailable                 503  email_unavailable / google_unavailable
    domain.errors.DomainError     rule broken in the room model (409 unless listed in `ERRORS`)
    rooms.errors.RoomError        the room engine: session_not_found 404, room_busy 409,
                                  room_unavailable 503 (Postgres down: nothing applied)

A request body the JSON decoder cannot take (nested too deeply, not UTF-8) is a 400
invalid_request too, though msgspec raises RecursionError / UnicodeDecodeError for it.

Every error answer is JSON `{"error": {"code", "message", ...fields}}`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, NamedTuple

import asyncpg
from litestar import MediaType, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.serialization import decode_json
from redis import exceptions as redis_errors

from domain.errors import (
    DomainError,
    InvalidCommand,
    RoleForbidden,
    UnknownClarification,
    UnknownFollowup,
)
from rooms.errors import RoomError, RoomNotFound, RoomUnavailable

if TYPE_CHECKING:
    from litestar import Request

log = logging.getLogger("interview_rooms.errors")


class AppError(Exception):
    code: str = "bad_request"

    def __init__(self, message: str, code: str | None = None, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.fields = fields


class BadRequest(AppError):
    code = "invalid_request"


class Unauthorized(AppError):
    code = "unauthorized"


class Forbidden(AppError):
    code = "forbidden"


class NotFound(AppError):
    code = "not_found"


class Conflict(AppError):
    code = "conflict"


class RateLimited(AppError):
    code = "rate_limited"


# Refused before the code is looked at, so even the right code waits out the window.
class OtpAttemptsExhausted(RateLimited):
    code = "otp_attempts_exhausted"


class TooManySockets(RateLimited):
    code = "too_many_sockets"


class SlowConsumer(AppError):
    """The socket stopped reading while its room kept going: closed, it resumes with `after`."""

    code = "slow_consumer"


class Unavailable(AppError):
    code = "unavailable"


class NotEnabled(AppError):
    code = "not_enabled"


# Auth. A wrong one-time code is a 400, not a 401: 401 is about the Authorization header and
# obliges a WWW-Authenticate challenge, while the code travels in the request body.
class OtpInvalid(BadRequest):
    code = "otp_invalid"


class OtpExpired(BadRequest):
    code = "otp_expired"


class OtpLocked(BadRequest):
    code = "otp_locked"


class TokenMissing(Unauthorized):
    code = "token_missing"


class TokenInvalid(Unauthorized):
    code = "token_invalid"


class TokenExpired(Unauthorized):
    code = "token_expired"


class TokenRevoked(Unauthorized):
    code = "token_revoked"


class TokenStale(Unauthorized):
    code = "token_stale"


class GoogleTokenInvalid(Unauthorized):
    code = "google_token_invalid"


class InsufficientRole(Forbidden):
    code = "insufficient_role"


class OriginForbidden(Forbidden):
    code = "origin_forbidden"


class Translation(NamedTuple):
    """What one error class becomes at the edge."""

    status: int  # the HTTP status of the answer
    close_code: int  # the WebSocket close code when it refuses a socket (4000 + status)


def _t(status: int) -> Translation:
    return Translation(status, 4000 + status)


# The one table from error classes to answers; the most specific class listed wins. Every
# answer's body is `error_body(...)` over HTTP and `error_frame(...)` on a socket.
ERRORS: dict[type[Exception], Translation] = {
    # server
    AppError: _t(400),
    BadRequest: _t(400),
    Unauthorized: _t(401),
    Forbidden: _t(403),
    NotFound: _t(404),
    Conflict: _t(409),
    SlowConsumer: _t(408),
    RateLimited: _t(429),
    NotEnabled: _t(501),
    Unavailable: _t(503),
    # domain: a rule of the room says "not now" unless it is one of these
    DomainError: _t(409),
    RoleForbidden: _t(403),
    InvalidCommand: _t(422),
    UnknownClarification: _t(404),
    UnknownFollowup: _t(404),
    # rooms
    RoomError: _t(409),
    # the session row exists but its room is gone from Redis and Postgres alike
    RoomNotFound: _t(404),
    # a milestone or a seq reservation could not reach Postgres; nothing was applied
    RoomUnavailable: _t(503),
}
CodedError = AppError | DomainError | RoomError


def translate(exc: CodedError) -> Translation:
    for cls in type(exc).__mro__:
        if cls in ERRORS:
            return ERRORS[cls]
    raise AssertionError(f"{type(exc).__name__} has no row in ERRORS")


def error_body(code: str, message: str, **fields: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **fields}}


def error_frame(exc: CodedError, command_id: Any = None) -> dict[str, Any]:
    """The socket's answer to a refused command (the socket stays open)."""
    return {
        "type": "error",
        "id": command_id,
        "code": exc.code,
        "message": exc.message,
        **exc.fields,
    }


def _respond(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response[Any]:
    return Response(content=body, status_code=status, media_type=MediaType.JSON, headers=headers)


def coded_error_handler(_: Request[Any, Any, Any], exc: CodedError) -> Response[Any]:
    headers = None
    if isinstance(exc, RateLimited) and "retry_after" in exc.fields:
        headers = {"Retry-After": str(int(exc.fields["retry_after"]))}
    if isinstance(exc, RoomUnavailable):
        headers = {"Retry-After": str(RETRY_UNAVAILABLE_SECS)}
    body = error_body(exc.code, exc.message, **exc.fields)
    return _respond(translate(exc).status, body, headers)


def _validation_message(details: Any) -> str:
    """A sentence for a refused request: Litestar reports a missing body as the bare `'data'`."""
    missing_body = isinstance(details, list) and any(
        isinstance(detail, dict) and detail.get("key") == "data" and detail.get("source") == "body"
        for detail in details
    )
    return "The request needs a JSON body." if missing_body else "The request is not valid."


def http_error_handler(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, ValidationException):
        details = exc.extra or []
        message = _validation_message(details)
        return _respond(400, error_body("invalid_request", message, details=details))
    code = {
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        413: "payload_too_large",
        429: "rate_limited",
    }.get(exc.status_code, "http_error")
    if isinstance(exc, NotAuthorizedException):
        code = "unauthorized"
    return _respond(exc.status_code, error_body(code, exc.detail), exc.headers)


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _respond(500, error_body("internal_error", "Something went wrong on our side."))


def _raised_by_body_decoder(exc: BaseException) -> bool:
    """True when Litestar's JSON decoder raised it, i.e. the request body is at fault."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_code is decode_json.__code__


def undecodable_body_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A body nested too deep for the decoder, or not UTF-8: the client's fault, one log line.

    msgspec raises RecursionError and UnicodeDecodeError for these, not its DecodeError, so
    Litestar lets them through; raised anywhere else they are still our bug (a 500).
    """
    if not _raised_by_body_decoder(exc):
        return internal_error_handler(request, exc)
    log.info(
        "refused an undecodable body on %s %s (%s)",
        request.method,
        request.url.path,
        type(exc).__name__,
    )
    message = (
        "The request body is not valid UTF-8."
        if isinstance(exc, UnicodeDecodeError)
        else "The request body is nested too deeply."
    )
    return _respond(400, error_body("invalid_request", message))


# A dependency that is down right now: Postgres or Redis refusing, dropping or timing out a
# connection. The answer is 503 `unavailable` with Retry-After, not a 500 (issue 13).
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    ConnectionError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
)
RETRY_UNAVAILABLE_SECS = 5
UNAVAILABLE_MESSAGE = (
    f"The server cannot reach its database right now; retry in {RETRY_UNAVAILABLE_SECS} s."
)


def unavailable_frame(command_id: Any = None) -> dict[str, Any]:
    """The socket's answer when Postgres or Redis is down: nothing was applied, retry."""
    return {
        "type": "error",
        "id": command_id,
        "code": "unavailable",
        "message": UNAVAILABLE_MESSAGE,
        "retry_after": RETRY_UNAVAILABLE_SECS,
    }


def unavailable_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.warning(
        "%s %s: a dependency is down (%s: %s)",
        request.method,
        request.url.path,
        type(exc).__name__,
        exc,
    )
    body = error_body("unavailable", UNAVAILABLE_MESSAGE, retry_after=RETRY_UNAVAILABLE_SECS)
    return _respond(503, body, {"Retry-After": str(RETRY_UNAVAILABLE_SECS)})


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    AppError: coded_error_handler,
    DomainError: coded_error_handler,
    RoomError: coded_error_handler,
    HTTPException: http_error_handler,
    RecursionError: undecodable_body_handler,
    UnicodeDecodeError: undecodable_body_handler,
    **dict.fromkeys(UNAVAILABLE_ERRORS, unavailable_handler),
    500: internal_error_handler,
}
