"""Invites are capabilities (issue 12, finding 2): single use by default, bound to an address
if asked, dead once the session ends, revocable, and a candidate's invite never shows notes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from domain.tables import User
from tests.e2e.conftest import Account, RoomClient
from tests.e2e.test_room_e2e import bearer
from tests.support.servers import AppProcess

pytestmark = pytest.mark.e2e

MakeAccount = Callable[..., Awaitable[Account]]
OpenRoom = Callable[..., Awaitable[RoomClient]]


@pytest.fixture
async def client(app: AppProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=app.url, timeout=10) as http:
        yield http


async def start(client: httpx.AsyncClient, token: str, slug: str) -> str:
    response = await client.post(f"/questions/{slug}/sessions", json={}, headers=bearer(token))
    assert response.status_code in (200, 201), response.text
    return str(response.json()["id"])


def code_of(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def snapshot_of(room: RoomClient) -> dict[str, object]:
    return next(frame for frame in room.frames if frame["type"] == "snapshot")


async def test_a_candidates_invite_admits_one_peer_who_sees_no_notes_and_commands_nothing(
    client: httpx.AsyncClient, account: MakeAccount, app: AppProcess, open_room: OpenRoom
) -> None:
    _, owner = await account()
    _, peer = await account(name="Pat")
    _, second_account = await account(name="Alt")
    _, interviewer = await account("interviewer", name="Ivy")
    sid = await start(client, owner, "lru-cache")
    invite = (await client.post(f"/sessions/{sid}/invites", headers=bearer(owner))).json()
    assert (invite["role"], invite["max_uses"]) == ("peer", 1)

    accept = f"/invites/{invite['token']}/accept"
    assert (await client.post(accept, headers=bearer(peer))).status_code == 200
    again = await client.post(accept, headers=bearer(peer))
    assert again.status_code == 200, "the same person accepting twice spends nothing"
    spent = await client.post(accept, headers=bearer(second_account))
    assert code_of(spent) == (409, "invite_used")
    assert (await client.get(f"/sessions/{sid}", headers=bearer(second_account))).status_code == 404

    staff = await open_room(app.url, sid, interviewer)
    await staff.wait_for(lambda frames: any(f["type"] == "snapshot" for f in frames))
    assert (await staff.command("note", text="weak on sharding"))["type"] == "ack"
    watcher = await open_room(app.url, sid, peer)
    await watcher.wait_for(lambda frames: any(f["type"] == "snapshot" for f in frames))
    snapshot = snapshot_of(watcher)
    assert snapshot["role"] == "peer"
    assert snapshot["state"]["notes"] == []  # type: ignore[index]
    for command, fields in (
        ("note", {"text": "x"}),
        ("hint", {"text": "x"}),
        ("answer_mode", {"mode": "human"}),
        ("draft", {"section": "apis", "text": "x"}),
        ("advance", {"to": "design"}),
    ):
        refused = await watcher.command(command, **fields)
        assert (refused["type"], refused["code"]) == ("error", "role_forbidden"), command
    assert (await staff.command("note", text="second note"))["type"] == "ack"
    await staff.wait_for(lambda frames: sum(f["type"] == "note.added" for f in frames) >= 2)
    assert not [f for f in watcher.frames if "note" in f["type"]], "no note reaches a peer"
    view = (await client.get(f"/sessions/{sid}", headers=bearer(peer))).json()
    assert (view["role"], view["notes"]) == ("peer", [])
    events = (await client.get(f"/sessions/{sid}/events", headers=bearer(peer))).json()["events"]
    assert not [e for e in events if e["audience"] != "all"]


async def test_staff_invite_interviewers_and_an_address_bound_link_is_for_that_address(
    client: httpx.AsyncClient, account: MakeAccount, database: str
) -> None:
    _, owner = await account()
    _, interviewer = await account("interviewer")
    colleague_id, colleague = await account(name="Colleague")
    _, someone_else = await account()
    sid = await start(client, owner, "url-shortener")
    row = await User.select(User.email).where(User.id == colleague_id).first()
    assert row is not None
    asked = {"email": f"  {row['email'].upper()} ", "max_uses": 3}
    response = await client.post(
        f"/sessions/{sid}/invites", json=asked, headers=bearer(interviewer)
    )
    assert response.status_code == 201, response.text
    invite = response.json()
    assert (invite["role"], invite["email"], invite["max_uses"]) == ("interviewer", row["email"], 3)

    wrong = await client.post(f"/invites/{invite['token']}/accept", headers=bearer(someone_else))
    assert code_of(wrong) == (403, "invite_not_yours")
    right = await client.post(f"/invites/{invite['token']}/accept", headers=bearer(colleague))
    assert right.status_code == 200
    view = (await client.get(f"/sessions/{sid}", headers=bearer(colleague))).json()
    assert view["role"] == "observer"

    unknown_field = await client.post(
        f"/sessions/{sid}/invites", json={"uses": 5}, headers=bearer(owner)
    )
    too_many = await client.post(
        f"/sessions/{sid}/invites", json={"max_uses": 1000}, headers=bearer(owner)
    )
    assert unknown_field.status_code == 400 and too_many.status_code == 400


async def test_a_revoked_invite_removes_whoever_it_admitted_at_once(
    client: httpx.AsyncClient, account: MakeAccount, app: AppProcess, open_room: OpenRoom
) -> None:
    _, owner = await account()
    peer_id, peer = await account(name="Pat")
    _, stranger = await account()
    sid = await start(client, owner, "parking-lot")
    invite = (await client.post(f"/sessions/{sid}/invites", headers=bearer(owner))).json()
    await client.post(f"/invites/{invite['token']}/accept", headers=bearer(peer))
    watcher = await open_room(app.url, sid, peer)
    await watcher.wait_for(lambda frames: any(f["type"] == "snapshot" for f in frames))

    assert code_of(await client.get(f"/sessions/{sid}/invites", headers=bearer(peer))) == (
        403,
        "forbidden",
    )
    assert (
        await client.get(f"/sessions/{sid}/invites", headers=bearer(stranger))
    ).status_code == 404
    listed = (await client.get(f"/sessions/{sid}/invites", headers=bearer(owner))).json()
    assert [(i["id"], i["uses"]) for i in listed] == [(invite["id"], 1)]
    assert [a["user_id"] for a in listed[0]["accepted_by"]] == [str(peer_id)]
    assert "token" not in listed[0] and "token_hash" not in listed[0]

    other_room = await start(client, stranger, "news-feed")
    wrong_room = await client.delete(
        f"/sessions/{other_room}/invites/{invite['id']}", headers=bearer(stranger)
    )
    assert code_of(wrong_room) == (404, "invite_not_found")
    revoked = await client.delete(f"/sessions/{sid}/invites/{invite['id']}", headers=bearer(owner))
    assert revoked.status_code == 204

    code, _ = await watcher.closed
    assert code == 4404
    assert (await client.get(f"/sessions/{sid}", headers=bearer(peer))).status_code == 404
    dead = await client.post(f"/invites/{invite['token']}/accept", headers=bearer(peer))
    assert code_of(dead) == (404, "invite_invalid")
    listed = (await client.get(f"/sessions/{sid}/invites", headers=bearer(owner))).json()
    assert listed[0]["revoked"] and listed[0]["accepted_by"] == []


async def test_an_invite_dies_with_its_session(
    client: httpx.AsyncClient, account: MakeAccount, app: AppProcess, open_room: OpenRoom
) -> None:
    _, owner = await account()
    _, late = await account()
    sid = await start(client, owner, "elevator-system")
    invite = (await client.post(f"/sessions/{sid}/invites", headers=bearer(owner))).json()
    candidate = await open_room(app.url, sid, owner)
    assert (await candidate.command("abandon"))["type"] == "ack"

    too_late = await client.post(f"/invites/{invite['token']}/accept", headers=bearer(late))
    assert code_of(too_late) == (409, "invite_expired")
    assert code_of(await client.post(f"/sessions/{sid}/invites", headers=bearer(owner))) == (
        409,
        "session_ended",
    )
    assert (await client.get(f"/sessions/{sid}", headers=bearer(late))).status_code == 404
