"""The OpenAPI document is true about errors and request bodies (server/system/openapi.py)."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from server.accounts.schemas import GoogleLogin, OtpVerify, ProfileUpdate, RefreshRequest
from server.limits import AUTH_BODY_BYTES, PROFILE_BODY_BYTES
from server.system.openapi import ERROR_BODY, RAISES, handler_name
from tests.support.openapi import app_document, built_app

DOCUMENT = app_document()
ERROR_REF = {"$ref": f"#/components/schemas/{ERROR_BODY}"}


def operation(method: str, path: str) -> dict[str, Any]:
    found: dict[str, Any] = DOCUMENT["paths"][path][method]
    return found


def error_schema(method: str, path: str, status: int) -> Any:
    return operation(method, path)["responses"][str(status)]["content"]["application/json"][
        "schema"
    ]


def test_the_error_body_is_the_one_every_handler_sends() -> None:
    body = DOCUMENT["components"]["schemas"][ERROR_BODY]
    assert body["required"] == ["error"] and body["additionalProperties"] is False
    error = body["properties"]["error"]
    assert error["required"] == ["code", "message"]
    assert error["additionalProperties"] is True, "codes carry fields of their own"


@pytest.mark.parametrize("status", [401, 404, 500])
def test_a_session_read_declares_its_errors_with_the_error_body(status: int) -> None:
    assert error_schema("get", "/sessions/{session_id}", status) == ERROR_REF


def test_an_authenticated_route_names_the_bearer_scheme() -> None:
    assert operation("get", "/sessions/{session_id}")["security"] == [{"bearer": []}]
    assert DOCUMENT["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert "security" not in operation("get", "/questions")


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("get", "/sessions/live", {400, 401, 403, 500, 503}),  # a role guard; a dependency down
        ("get", "/questions/{id_or_slug}", {400, 404, 500}),  # open, with a path parameter
        ("patch", "/me", {400, 401, 413, 500}),  # a body
        ("post", "/auth/otp/request", {400, 413, 429, 500, 503}),  # rate limited, mails
        ("post", "/sessions/{session_id}/clarifications", {403, 404, 409, 422, 429}),
        ("post", "/sessions/{session_id}/evaluation/retry", {403, 404, 409}),
    ],
)
def test_each_operation_lists_the_errors_it_can_answer(
    method: str, path: str, statuses: set[int]
) -> None:
    responses = operation(method, path)["responses"]
    errors = {int(status) for status in responses if int(status) >= 400}
    assert statuses <= errors
    for status in statuses:
        assert error_schema(method, path, status) == ERROR_REF


def test_litestar_s_own_error_shape_is_gone() -> None:
    for path, item in DOCUMENT["paths"].items():
        for method, op in item.items():
            for status, response in op["responses"].items():
                if int(status) < 400 or (path, status) == ("/health", "503"):
                    continue
                assert response["content"]["application/json"]["schema"] == ERROR_REF, (
                    method,
                    path,
                    status,
                )


def test_a_rate_limited_answer_says_when_to_come_back() -> None:
    limited = operation("post", "/auth/otp/request")["responses"]["429"]
    assert limited["headers"]["Retry-After"]["required"] is True


def test_a_body_limit_is_stated_with_its_413() -> None:
    too_large = operation("patch", "/me")["responses"]["413"]["description"]
    assert f"over {PROFILE_BODY_BYTES} bytes" in too_large


@pytest.mark.parametrize("name", ["ProfileUpdate", "ClarifyBody", "DraftBody", "StartSession"])
def test_a_body_the_server_refuses_unknown_fields_in_is_closed(name: str) -> None:
    assert DOCUMENT["components"]["schemas"][name]["additionalProperties"] is False


@pytest.mark.parametrize("name", ["OtpRequest", "RefreshRequest"])
def test_a_body_that_ignores_unknown_fields_stays_open(name: str) -> None:
    assert "additionalProperties" not in DOCUMENT["components"]["schemas"][name]


def test_an_optional_body_is_not_required() -> None:
    assert operation("post", "/auth/logout")["requestBody"]["required"] is False
    assert operation("patch", "/me")["requestBody"]["required"] is True


def test_every_handler_named_in_raises_is_a_route_of_the_app() -> None:
    handlers = {
        handler_name(handler)
        for route in built_app().routes
        if isinstance(route, HTTPRoute)
        for handler in route.route_handlers
    }
    assert set(RAISES) <= handlers


def test_options_lists_every_method_of_the_path() -> None:
    client = TestClient(built_app())  # no lifespan: nothing connects
    assert client.options("/me").headers["allow"] == "GET, OPTIONS, PATCH"
    assert client.options("/questions/x").headers["allow"] == "GET, OPTIONS, PATCH"


def _longest(struct: type[msgspec.Struct]) -> bytes:
    """The largest body the Struct takes: every string field at its longest, each character
    an astral one, escaped as JSON escapes it by default (a surrogate pair)."""
    info = msgspec.inspect.type_info(struct)
    assert isinstance(info, msgspec.inspect.StructType)
    body = {}
    for field in info.fields:
        kind = field.type
        if isinstance(kind, msgspec.inspect.UnionType):
            texts = [t for t in kind.types if isinstance(t, msgspec.inspect.StrType)]
            if not texts:  # a flag (PATCH /me `leaderboard`): at its longest, `false`
                body[field.encode_name] = False
                continue
            kind = texts[0]
        assert isinstance(kind, msgspec.inspect.StrType) and kind.max_length is not None
        body[field.encode_name] = "\U0001f600" * kind.max_length
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    ("struct", "limit"),
    [
        (GoogleLogin, AUTH_BODY_BYTES),
        (RefreshRequest, AUTH_BODY_BYTES),
        (OtpVerify, AUTH_BODY_BYTES),
        (ProfileUpdate, PROFILE_BODY_BYTES),
    ],
)
def test_the_largest_valid_body_fits_its_route_s_limit(
    struct: type[msgspec.Struct], limit: int
) -> None:
    assert len(_longest(struct)) <= limit
