"""No route buffers a body larger than its contract: an oversized body is refused with 413
payload_too_large from its Content-Length, before anything is parsed, and changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from domain.solution import MAX_SECTION_CHARS
from server.limits import AUTH_BODY_BYTES, DEFAULT_BODY_BYTES, PROFILE_BODY_BYTES
from tests.e2e.conftest import Account
from tests.e2e.test_room_e2e import bearer
from tests.support.servers import AppProcess

pytestmark = pytest.mark.e2e

MakeAccount = Callable[..., Awaitable[Account]]
# What the finding used: just under Litestar's 10 MB default, from anyone, unauthenticated.
FLOOD_BYTES = 9_900_000


@pytest.fixture
async def client(app: AppProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=app.url, timeout=30) as http:
        yield http


def padded(size: int) -> bytes:
    """A JSON object of about `size` bytes."""
    return b'{"email": "a@example.test", "pad": "' + b"x" * size + b'"}'


def assert_too_large(answer: httpx.Response) -> None:
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "payload_too_large"


async def test_an_unauthenticated_flood_is_refused_before_it_is_read(
    client: httpx.AsyncClient,
) -> None:
    assert_too_large(await client.post("/auth/otp/request", content=padded(FLOOD_BYTES)))
    assert_too_large(await client.post("/auth/otp/request", content=padded(AUTH_BODY_BYTES)))
    normal = await client.post("/auth/otp/request", json={"email": "x"})
    assert normal.status_code == 400  # an ordinary body still reaches validation


async def test_each_route_has_the_limit_of_its_contract(
    client: httpx.AsyncClient, account: MakeAccount
) -> None:
    _, token = await account()
    before = (await client.get("/me", headers=bearer(token))).json()
    big_name = {"name": "n" * PROFILE_BODY_BYTES}
    assert_too_large(await client.patch("/me", json=big_name, headers=bearer(token)))
    assert (await client.get("/me", headers=bearer(token))).json() == before
    started = await client.post("/questions/splitwise/sessions", json={}, headers=bearer(token))
    sid = started.json()["id"]
    question = {"question": "q" * DEFAULT_BODY_BYTES}
    answer = await client.post(
        f"/sessions/{sid}/clarifications", json=question, headers=bearer(token)
    )
    assert_too_large(answer)
    full = {section: "é" * MAX_SECTION_CHARS for section in ("functional_req", "entities", "extra")}
    saved = await client.put(f"/sessions/{sid}/solution", json=full, headers=bearer(token))
    assert saved.status_code == 200, "a draft at its section limits fits its route"
    flood = await client.put(
        f"/sessions/{sid}/solution", content=padded(FLOOD_BYTES), headers=bearer(token)
    )
    assert_too_large(flood)
