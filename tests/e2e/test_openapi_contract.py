"""The OpenAPI document is true: Schemathesis drives every operation of a real app, signed in,
and checks each answer against the document with every check it has (no 5xx, documented
status, content type, headers and body, invalid data refused, valid data accepted, a missing
token refused, unsupported methods refused with `Allow`)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis import Case

from server.accounts.tokens import Principal, issue_access_token
from server.settings import load_settings
from tests.support.openapi import app_document
from tests.support.servers import AppProcess
from tests.support.smtp import SmtpServer, bearer, client_ip, sign_in

pytestmark = pytest.mark.e2e

SignedIn = tuple[dict[str, Any], dict[str, Any], str]

# Per operation and generation phase: some 3,000 requests, 40-50 s on two cores.
MAX_EXAMPLES = 60
# Invalid data is refused with Schemathesis' default statuses, or with 413 when the body is over
# the route's limit, as the document says.
REFUSED = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]
REFUSED += ["5xx"]
# Schema-valid requests that the server refuses all the same, each for a reason JSON Schema
# cannot state; every such answer is a documented 400 with the error body.
CHECKED_BEYOND_THE_SCHEMA = {
    "GET /questions": "a cursor is an opaque token from an earlier page (invalid_cursor)",
    "POST /auth/otp/request": "an address must look like one, a@b.c (invalid_email)",
    "POST /auth/otp/verify": "the same address rule, and a wrong code is otp_invalid",
    "POST /sessions/{session_id}/invites": "an invited address must look like one, too",
    "PATCH /me": "an avatar is an http(s) URL (invalid_avatar_url); a name has no control chars",
}
# Schema-valid commands that the room refuses as 422 invalid_command: blank text, NUL.
ROOM_TEXT_COMMANDS = [
    "POST /sessions/{session_id}/clarifications",
    "POST /sessions/{session_id}/hints",
    "POST /sessions/{session_id}/notes",
    "POST /sessions/{session_id}/answers/{clarification_id}",
    "PUT /sessions/{session_id}/solution",
    "POST /questions/{question_ref}/sessions",
]
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
CONFIG = {
    "generation": {"max-examples": MAX_EXAMPLES},
    "checks": {"negative_data_rejection": {"expected-statuses": REFUSED}},
    "operations": [
        {
            "include-name": name,
            "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "400"]}},
        }
        for name in CHECKED_BEYOND_THE_SCHEMA
    ]
    + [
        {
            "include-name": name,
            "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "422"]}},
        }
        for name in ROOM_TEXT_COMMANDS
    ],
}
DOCUMENT = app_document()
schema = schemathesis.openapi.from_dict(DOCUMENT, config=schemathesis.Config.from_dict(CONFIG))


@pytest.fixture(scope="module")
def fuzz_ip() -> str:
    """The fuzzer's own client address, so the per-IP sign-in limits it trips stay its own."""
    return client_ip()


@pytest.fixture(scope="module")
async def signed_in(app: AppProcess, smtp: SmtpServer, fuzz_ip: str) -> AsyncIterator[SignedIn]:
    """Two accounts signed in with mailed codes: the fuzzer's, and one whose sessions the
    logout routes end."""
    async with httpx.AsyncClient(base_url=app.url, timeout=10) as http:
        main = await sign_in(http, smtp, f"fuzz-{uuid.uuid4().hex[:8]}@example.test", fuzz_ip)
        spare = await sign_in(http, smtp, f"fuzz-{uuid.uuid4().hex[:8]}@example.test", fuzz_ip)
        started = await http.post(
            "/questions/splitwise/sessions", json={}, headers=bearer(main["access_token"])
        )
        assert started.status_code == 201, started.text
    yield main, spare, started.json()["id"]


async def test_the_app_serves_the_document_the_fuzzer_reads(http: httpx.AsyncClient) -> None:
    assert (await http.get("/schema/openapi.json")).json() == DOCUMENT


def access_token(case: Case, signed_in: SignedIn, env: Any) -> str:
    main, spare, _ = signed_in
    if not case.path.startswith("/auth/logout"):
        return str(main["access_token"])
    # A logout would end the fuzzer's own session mid-run: each one ends a session of its own,
    # of the spare account, so the logout routes are fuzzed like the rest.
    user = spare["user"]
    principal = Principal(uuid.UUID(user["id"]), user["role"], uuid.uuid4())
    return issue_access_token(load_settings(env), principal).token


def to_the_room(case: Case) -> bool:
    """Valid cases go to the fuzzer's own room (a made-up id only ever finds no session), but
    one fuzzed case in four keeps its id; invalid ones keep theirs, as the id may be what is
    invalid about them."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return False
    generated = str(case.path_parameters["session_id"])
    return case.meta.phase.name.value != "fuzzing" or int(generated[-1], 16) % 4 != 0


@schema.parametrize()
def test_every_answer_keeps_to_the_openapi_document(
    case: Case,
    app: AppProcess,
    signed_in: SignedIn,
    fuzz_ip: str,
    app_env: dict[str, str],
) -> None:
    headers = {"X-Forwarded-For": fuzz_ip}
    if case.path_parameters and "session_id" in case.path_parameters and to_the_room(case):
        case.path_parameters["session_id"] = signed_in[2]
    # A case that tests a missing or broken token keeps it so.
    if not schema.is_security_param_negated(case):
        headers["Authorization"] = f"Bearer {access_token(case, signed_in, app_env)}"
    case.call_and_validate(base_url=app.url, headers=headers)
