"""Hostile bodies and frames: a coded 400 or error frame, nothing stored, no traceback logged."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest

from domain.tables import EmailOtp
from server.sessions.quotas import COMMANDS_PER_SEC
from server.sessions.socket import MAX_FRAME_BYTES
from tests.e2e.conftest import Account, RoomClient
from tests.e2e.test_room_e2e import bearer, start_session
from tests.support.servers import AppProcess

pytestmark = pytest.mark.e2e

OpenRoom = Callable[..., Awaitable[RoomClient]]
MakeAccount = Callable[..., Awaitable[Account]]
JSON = {"Content-Type": "application/json"}
# Deep enough to exhaust any recursive decoder (Python's limit is 1,000 frames), small enough to
# pass the sign-in routes' 4 KiB body limit and reach the decoder.
DEEP = b"[" * 3_000
NOT_UTF8 = b'{"email": "\xff\xfe@example.test"}'


def traceback_count(app: AppProcess) -> int:
    assert app.log_path is not None
    return app.log_path.read_text(errors="replace").count("Traceback")


@pytest.fixture
def no_new_tracebacks(app: AppProcess) -> Iterator[None]:
    before = traceback_count(app)
    yield
    assert traceback_count(app) == before, "a refused request logged a traceback"


def assert_invalid_request(response: httpx.Response, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request", error
    assert error["message"] and error["message"] != "'data'", error
    if field is not None:
        assert error.get("field") == field, error
    return dict(error)


async def profile_name(http: httpx.AsyncClient, token: str) -> str:
    response = await http.get("/me", headers=bearer(token))
    assert response.status_code == 200, response.text
    return str(response.json()["name"])


# --- 1. bodies the decoder cannot take, and NUL bytes Postgres cannot store -------------------

UNDECODABLE_BODIES = [
    pytest.param(DEEP, "nested too deeply", id="deep-nesting"),
    pytest.param(NOT_UTF8, "UTF-8", id="invalid-utf8"),
]


@pytest.mark.usefixtures("no_new_tracebacks")
@pytest.mark.parametrize(("body", "says"), UNDECODABLE_BODIES)
@pytest.mark.parametrize("path", ["/auth/otp/request", "/auth/otp/verify", "/auth/refresh"])
async def test_an_undecodable_auth_body_is_a_400(
    http: httpx.AsyncClient, path: str, body: bytes, says: str
) -> None:
    codes_before = await EmailOtp.count()
    error = assert_invalid_request(await http.post(path, content=body, headers=JSON))
    assert says in error["message"]
    assert await EmailOtp.count() == codes_before


@pytest.mark.usefixtures("no_new_tracebacks")
@pytest.mark.parametrize("path", ["/auth/otp/request", "/auth/otp/verify"])
async def test_a_nul_in_an_email_is_refused_naming_the_field(
    http: httpx.AsyncClient, path: str
) -> None:
    codes_before = await EmailOtp.count()
    body = {"email": "ada\u0000@example.test", "code": "123456"}
    assert_invalid_request(await http.post(path, json=body), field="email")
    assert await EmailOtp.count() == codes_before


@pytest.mark.usefixtures("no_new_tracebacks")
@pytest.mark.parametrize(("body", "says"), UNDECODABLE_BODIES)
async def test_an_undecodable_profile_body_changes_nothing(
    http: httpx.AsyncClient, account: MakeAccount, body: bytes, says: str
) -> None:
    _, token = await account(name="Ada")
    response = await http.patch("/me", content=body, headers={**JSON, **bearer(token)})
    assert says in assert_invalid_request(response)["message"]
    assert await profile_name(http, token) == "Ada"


@pytest.mark.usefixtures("no_new_tracebacks")
async def test_a_nul_in_a_name_is_refused_naming_the_field(
    http: httpx.AsyncClient, account: MakeAccount
) -> None:
    _, token = await account(name="Ada")
    response = await http.patch("/me", json={"name": "Ada\u0000Lovelace"}, headers=bearer(token))
    assert_invalid_request(response, field="name")
    assert await profile_name(http, token) == "Ada"


# --- 3. a PATCH without a body ----------------------------------------------------------------


@pytest.mark.usefixtures("no_new_tracebacks")
async def test_a_profile_patch_without_a_body_says_so(
    http: httpx.AsyncClient, account: MakeAccount
) -> None:
    _, token = await account(name="Ada")
    error = assert_invalid_request(await http.patch("/me", headers=bearer(token)))
    assert error["message"] == "The request needs a JSON body."
    assert await profile_name(http, token) == "Ada"


# --- 4. display names that hide controls ------------------------------------------------------

HOSTILE_NAMES = [
    pytest.param("Ada\u202eecalevoL", id="rtl-override"),
    pytest.param("\u2067Ada\u2069", id="rtl-isolate"),
    pytest.param("\x1b[31mAda\x1b[0m", id="ansi-escape"),
    pytest.param("A\u200bda", id="zero-width-space"),
    pytest.param("A\u200dda", id="zero-width-joiner"),
    pytest.param("\ufeffAda", id="byte-order-mark"),
    pytest.param("Ada\nLovelace", id="newline"),
    pytest.param("Ada\tLovelace", id="tab"),
    pytest.param("Ada\x7f", id="delete"),
    pytest.param("Ada\u2028Lovelace", id="line-separator"),
    pytest.param("\ufdfa" * 12, id="too-long-once-normalised"),
]


@pytest.mark.usefixtures("no_new_tracebacks")
@pytest.mark.parametrize("name", HOSTILE_NAMES)
async def test_a_name_hiding_controls_is_refused(
    http: httpx.AsyncClient, account: MakeAccount, name: str
) -> None:
    _, token = await account(name="Ada")
    response = await http.patch("/me", json={"name": name}, headers=bearer(token))
    assert_invalid_request(response, field="name")
    assert await profile_name(http, token) == "Ada"


ORDINARY_NAMES = [
    ("José Núñez", "José Núñez"),
    ("Zoë O'Brien-Smith", "Zoë O'Brien-Smith"),
    ("李小龙", "李小龙"),
    ("محمد علي", "محمد علي"),
    ("Đặng Thị Ngọc", "Đặng Thị Ngọc"),
    ("Ærøskøbing Åsa", "Ærøskøbing Åsa"),
    ("Привет Мир", "Привет Мир"),
    ("  Ada  ", "Ada"),
    ("\uff21\uff44\uff41", "Ada"),  # fullwidth letters fold to ASCII under NFKC
    ("Jose\u0301", "José"),  # a combining accent composes
]


@pytest.mark.usefixtures("no_new_tracebacks")
@pytest.mark.parametrize(("name", "stored"), ORDINARY_NAMES)
async def test_ordinary_names_of_any_script_are_kept(
    http: httpx.AsyncClient, account: MakeAccount, name: str, stored: str
) -> None:
    _, token = await account(name="Ada")
    response = await http.patch("/me", json={"name": name}, headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.json()["name"] == stored
    assert await profile_name(http, token) == stored


# --- 2. the same nesting on the room socket ---------------------------------------------------


async def room_seq(app: AppProcess, sid: str, token: str) -> int:
    async with httpx.AsyncClient(base_url=app.url, timeout=10) as http:
        response = await http.get(f"/sessions/{sid}", headers=bearer(token))
        assert response.status_code == 200, response.text
        return int(response.json()["seq"])


@pytest.mark.usefixtures("no_new_tracebacks")
async def test_a_deeply_nested_frame_is_an_invalid_frame_and_the_socket_lives(
    app: AppProcess, account: MakeAccount, open_room: OpenRoom
) -> None:
    _, token = await account()
    sid = (await start_session(app.url, token, slug="rate-limiter"))["id"]
    client = await open_room(app.url, sid, token)
    before = await room_seq(app, sid, token)
    reply = await client.send_raw("[" * MAX_FRAME_BYTES)
    assert reply["type"] == "error" and reply["code"] == "invalid_frame", reply
    assert "nested" in reply["message"]
    assert (await client.command("ping"))["type"] == "pong", "the socket stays usable"
    assert not client.closed.done()
    assert await room_seq(app, sid, token) == before


async def next_reply(client: RoomClient, start: int) -> dict[str, Any]:
    """The first ack or error after frame number `start`, whatever its id."""

    def replies(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [frame for frame in frames[start:] if frame["type"] in ("ack", "error")]

    await client.wait_for(lambda frames: bool(replies(frames)))
    return replies(client.frames)[0]


@pytest.mark.usefixtures("no_new_tracebacks")
async def test_nesting_just_under_the_decoder_limit_is_refused_too(
    app: AppProcess, account: MakeAccount, open_room: OpenRoom
) -> None:
    """Every depth around the decoder's recursion limit gets an error frame, never a close."""
    _, token = await account()
    sid = (await start_session(app.url, token, slug="rate-limiter"))["id"]
    client = await open_room(app.url, sid, token)
    before = await room_seq(app, sid, token)
    for depth in range(930, 1010):
        await asyncio.sleep(1 / COMMANDS_PER_SEC)  # under the socket's rate limit
        nested = "[" * depth + "]" * depth
        answered = len(client.frames)
        await client.ws.send(f'{{"type": "clarify", "id": "d{depth}", "question": {nested}}}')
        # Refused before or after the id is read, so the reply's id is None or "d{depth}".
        reply = await next_reply(client, answered)
        assert reply["type"] == "error", reply
        assert reply["code"] in ("invalid_frame", "invalid_command"), reply
    assert (await client.command("ping"))["type"] == "pong"
    assert await room_seq(app, sid, token) == before
