"""The server's error root and the one translator from errors to HTTP answers.

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
        GoogleTokenInvalid        401  google_token_invalid
      Forbidden                   403  forbidden and the auth codes that deny access
        InsufficientRole          403  insufficient_role
        OriginForbidden           403  origin_forbidden (WebSocket Origin not allowed)
      NotFound                    404  not_found / question_not_found / session_not_found
      Conflict                    409  conflict / google_account_mismatch
      RateLimited                 429  carries `retry_after` seconds
      NotEnabled                  501  google_disabled
      Unavailable                 503  email_unavailable / google_unavailable
    domain.errors.DomainError     rule broken in the room model; mapped by `DOMAIN_STATUS`

Every error answer is JSON `{"error": {"code", "message", ...fields}}`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar

from litestar import MediaType, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException

from domain.errors import DomainError

if TYPE_CHECKING:
    from litestar import Request

log = logging.getLogger("interview_rooms.errors")


class AppError(Exception):
    status_code: ClassVar[int] = 400
    code: str = "bad_request"

    def __init__(self, message: str, code: str | None = None, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.fields = fields


class BadRequest(AppError):
    status_code = 400
    code = "invalid_request"


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"


class NotFound(AppError):
    status_code = 404
    code = "not_found"


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class RateLimited(AppError):
    status_code = 429
    code = "rate_limited"


class Unavailable(AppError):
    status_code = 503
    code = "unavailable"


class NotEnabled(AppError):
    status_code = 501
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


class GoogleTokenInvalid(Unauthorized):
    code = "google_token_invalid"


class InsufficientRole(Forbidden):
    code = "insufficient_role"


class OriginForbidden(Forbidden):
    code = "origin_forbidden"


# Domain codes that are not a plain 409 "not now".
DOMAIN_STATUS: dict[str, int] = {
    "role_forbidden": 403,
    "invalid_command": 422,
    "clarification_unknown": 404,
    # The session row exists but its room is gone from Redis and Postgres alike.
    "session_not_found": 404,
}
DOMAIN_DEFAULT_STATUS = 409


def error_body(code: str, message: str, **fields: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **fields}}


def _respond(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response[Any]:
    return Response(content=body, status_code=status, media_type=MediaType.JSON, headers=headers)


def app_error_handler(_: Request[Any, Any, Any], exc: AppError) -> Response[Any]:
    headers = None
    if isinstance(exc, RateLimited) and "retry_after" in exc.fields:
        headers = {"Retry-After": str(int(exc.fields["retry_after"]))}
    return _respond(exc.status_code, error_body(exc.code, exc.message, **exc.fields), headers)


def domain_error_handler(_: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    status = DOMAIN_STATUS.get(exc.code, DOMAIN_DEFAULT_STATUS)
    return _respond(status, error_body(exc.code, exc.message, **exc.fields))


def http_error_handler(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, ValidationException):
        return _respond(
            400, error_body("invalid_request", "The request is not valid.", details=exc.extra or [])
        )
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


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    AppError: app_error_handler,
    DomainError: domain_error_handler,
    HTTPException: http_error_handler,
    500: internal_error_handler,
}
