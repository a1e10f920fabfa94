"""The OpenAPI document tells the truth about errors and request bodies (docs/security.md).

Litestar documents a refused request in its own `{"status_code", "detail"}` shape and no other
error, but every error this app sends is `{"error": {"code", "message", ...}}` (server/errors.py).
`document_errors` rewrites the generated document once, when the app is built:

- an `ErrorBody` component is the body of every 4xx and 5xx answer;
- each operation lists its error statuses, derived from its route where the route shows them:
  400 if it takes parameters or a body, 401 and the bearer security requirement if it needs the
  caller (the `principal` dependency) or has a guard, 403 if it has a guard (the role guards),
  404 if its path has parameters, 413 with the route's limit if it takes a body, 500 and 503
  (a dependency down) always;
  the statuses only a handler's service knows about (409, 422, 429, 501, 503, and the 401 and
  403 of routes that look open) come from `RAISES`;
- a request body whose Struct forbids unknown fields is closed with `additionalProperties: false`.

An error status a handler documents itself (`responses=` with no `data_container`) keeps its
description and gets the error body.
"""

from __future__ import annotations

import types
from typing import TYPE_CHECKING, Any, Union, get_args, get_origin

import msgspec
from litestar.openapi.spec import (
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Reference,
    RequestBody,
    Schema,
    SecurityScheme,
)
from litestar.routes import HTTPRoute

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from litestar import Litestar
    from litestar.handlers import HTTPRouteHandler
    from litestar.openapi.spec import Components, OpenAPI, Operation

ERROR_BODY = "ErrorBody"
BEARER = "bearer"
JSON = "application/json"

ERROR_BODY_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    description="Every error answer. `code` is stable; `message` is for people.",
    required=["error"],
    properties={
        "error": Schema(
            type=OpenAPIType.OBJECT,
            required=["code", "message"],
            properties={
                "code": Schema(type=OpenAPIType.STRING, examples=["session_not_found"]),
                "message": Schema(type=OpenAPIType.STRING),
                "field": Schema(type=OpenAPIType.STRING, description="The field at fault."),
                "details": Schema(
                    type=OpenAPIType.ARRAY, description="What the request validation refused."
                ),
                "retry_after": Schema(type=OpenAPIType.INTEGER, description="Seconds (429)."),
                "attempts_left": Schema(
                    type=OpenAPIType.INTEGER, description="Guesses left for this code."
                ),
            },
            # Each code may carry fields of its own (docs/auth.md, docs/protocol.md).
            additional_properties=True,
        )
    },
    additional_properties=False,
)
BEARER_SCHEME = SecurityScheme(
    type="http",
    scheme="bearer",
    bearer_format="JWT",
    description="An access token from /auth/otp/verify, /auth/google or /auth/refresh.",
)
RETRY_AFTER = OpenAPIHeader(
    schema=Schema(type=OpenAPIType.INTEGER),
    required=True,
    description="Seconds to wait before trying again.",
)

# What a status means where the route alone says it can happen.
DERIVED = {
    400: "invalid_request: the parameters or the body do not fit this operation.",
    401: "A token_* code: the access token is missing, invalid, expired, revoked or stale.",
    403: "insufficient_role: the caller's role may not do this.",
    404: "Nothing at this path that the caller may see (`*_not_found`).",
    500: "internal_error: our fault; the log has the details.",
    503: "unavailable: Postgres or Redis cannot be reached right now; retry after Retry-After.",
}
# A command the room refuses (domain.errors, through server.errors.ERRORS).
ROOM_COMMAND = {
    403: "role_forbidden: the caller's place in the room may not do this.",
    409: "phase_illegal, clarification_budget_exhausted, clarification_answered or room_busy.",
    422: "invalid_command: empty, too long, or a NUL character.",
    429: "rate_limited: past the account's command rate, REST and sockets together.",
    503: "room_unavailable: Postgres did not answer; nothing was applied.",
}
# What a handler answers that its route does not show: the errors its service raises, by the
# handler's `Controller.method` name (tests/unit/test_openapi_document.py checks every name).
RAISES: dict[str, Mapping[int, str]] = {
    "AuthController.request_otp": {
        400: "invalid_email",
        429: "rate_limited: too many codes asked for by this client.",
        503: "email_unavailable: the mail server did not take the code.",
    },
    "AuthController.verify_otp": {
        400: "otp_invalid (with attempts_left), otp_expired or otp_locked.",
        429: "otp_attempts_exhausted: too many wrong codes for this address this hour.",
    },
    "AuthController.google_login": {
        401: "google_token_invalid",
        409: "google_account_mismatch",
        501: "google_disabled: Google sign-in is not configured.",
        503: "google_unavailable: Google's keys could not be fetched.",
    },
    "AuthController.refresh": {401: "token_invalid, token_expired or token_revoked."},
    "SessionController.start": {
        403: "question_locked",
        409: "question_coming_soon or room_busy",
        422: "invalid_command: durations out of range.",
        503: "room_unavailable: Postgres did not answer; nothing was applied.",
    },
    **dict.fromkeys(
        (
            f"SessionController.{name}"
            for name in ("clarify", "design", "draft", "submit", "answer", "hint", "note")
        ),
        ROOM_COMMAND,
    ),
    "SessionController.answer_mode": ROOM_COMMAND,
    "SessionController.followup": {
        **ROOM_COMMAND,
        409: "phase_illegal, followup_limit_reached, followup_pending or room_busy.",
    },
    "SessionController.answer_followup": {
        **ROOM_COMMAND,
        409: "phase_illegal, followup_unknown, followup_answered or room_busy.",
    },
    "SessionController.answer_key": {403: "forbidden: the answer key is the interviewer's."},
    "SessionController.model_answer": {409: "not_submitted: it opens after the submission."},
    "SessionController.invite": {
        403: "forbidden: only the candidate or staff invite.",
        409: "session_ended",
    },
    "SessionController.invites": {403: "forbidden: only the candidate or staff see invites."},
    "SessionController.revoke_invite": {403: "forbidden: only the candidate or staff revoke."},
    "SessionController.accept": {
        403: "invite_not_yours: the invite is for another address.",
        409: "invite_expired or invite_used",
    },
    "QuestionController.edit_question": {
        400: "invalid_request (with field)",
        422: "invalid_command: a phase budget out of range.",
    },
}


def document_errors(app: Litestar) -> None:
    """Rewrites the app's OpenAPI document (built here, once) as the module docstring says."""
    openapi = app.openapi_schema
    components = openapi.components
    components.schemas = {**(components.schemas or {}), ERROR_BODY: ERROR_BODY_SCHEMA}
    components.security_schemes = {**(components.security_schemes or {}), BEARER: BEARER_SCHEME}
    for operation, handler in _operations(app, openapi):
        _document(operation, handler)
        _close_request_body(operation, handler, components)


def _operations(app: Litestar, openapi: OpenAPI) -> Iterator[tuple[Operation, HTTPRouteHandler]]:
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        path_item = (openapi.paths or {}).get(route.path_format or "/")
        if path_item is None:
            continue
        for handler in route.route_handlers:
            for method in handler.http_methods:
                operation = getattr(path_item, method.lower(), None)
                if operation is not None:
                    yield operation, handler


def handler_name(handler: HTTPRouteHandler) -> str:
    """`Controller.method`, the key of the handler in `RAISES`."""
    return str(getattr(handler.fn, "__qualname__", handler.handler_name))


def _authenticated(handler: HTTPRouteHandler) -> bool:
    """The route needs an access token: its handler takes the caller, or a guard checks it."""
    return bool(handler.resolve_guards()) or "principal" in handler.parsed_fn_signature.parameters


def error_statuses(operation: Operation, handler: HTTPRouteHandler) -> dict[int, str]:
    """Every error status the operation can answer, with what it means there."""
    guarded = bool(handler.resolve_guards())
    has_body = operation.request_body is not None
    statuses: dict[int, str] = {500: DERIVED[500], 503: DERIVED[503]}
    if has_body or operation.parameters:
        statuses[400] = DERIVED[400]
    if _authenticated(handler):
        statuses[401] = DERIVED[401]
    if guarded:
        statuses[403] = DERIVED[403]
    if any(getattr(p, "param_in", None) == "path" for p in operation.parameters or []):
        statuses[404] = DERIVED[404]
    if has_body:
        limit = handler.resolve_request_max_body_size()
        statuses[413] = f"payload_too_large: the body is over {limit} bytes."
    for status, meaning in RAISES.get(handler_name(handler), {}).items():
        statuses[status] = f"{statuses[status]} Or {meaning}" if status in statuses else meaning
    return statuses


def _document(operation: Operation, handler: HTTPRouteHandler) -> None:
    responses = dict(operation.responses or {})
    meanings = error_statuses(operation, handler)
    for key, declared in responses.items():
        # The handler's own words (`responses=` with no body) for a status, derived or not.
        if int(key) >= 400 and isinstance(declared, OpenAPIResponse) and not declared.content:
            meanings[int(key)] = declared.description
    for status, meaning in meanings.items():
        responses[str(status)] = _error_response(status, meaning)
    operation.responses = dict(sorted(responses.items()))
    if _authenticated(handler):
        operation.security = [{BEARER: []}]


def _error_response(status: int, description: str) -> OpenAPIResponse:
    return OpenAPIResponse(
        description=description,
        content={
            JSON: OpenAPIMediaType(schema=Reference(ref=f"#/components/schemas/{ERROR_BODY}"))
        },
        headers={"Retry-After": RETRY_AFTER} if status == 429 else None,
    )


def _structs(annotation: Any) -> Iterator[type[msgspec.Struct]]:
    """The Structs a body annotation names (`X`, `X | None`)."""
    if get_origin(annotation) in (Union, types.UnionType):
        for member in get_args(annotation):
            yield from _structs(member)
    elif isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        yield annotation


def _close_request_body(
    operation: Operation, handler: HTTPRouteHandler, components: Components
) -> None:
    """The body as the server reads it: optional if the handler defaults it, and closed with
    `additionalProperties: false` if its Struct refuses unknown fields."""
    data = handler.parsed_fn_signature.parameters.get("data")
    body = operation.request_body
    if data is None or not isinstance(body, RequestBody):
        return
    body.required = not (data.is_optional or data.has_default)
    for struct in _structs(data.annotation):
        if not msgspec.inspect.type_info(struct).forbid_unknown_fields:  # type: ignore[attr-defined]
            continue
        schema = (components.schemas or {}).get(struct.__name__)
        if schema is None:
            raise AssertionError(f"request body {struct.__name__} has no component schema")
        schema.additional_properties = False
