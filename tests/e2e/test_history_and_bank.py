"""Issue 14: interviewers find the rooms they watched with their notes; the leaderboard shows
display names only and can be left; empty attempts are shown but not counted; the bank has a
meaningful order, searches topics and companies, and says why a question is closed."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.room_tables import UserStats
from server.accounts.tokens import Principal, issue_access_token
from server.accounts.users import PSEUDONYM_PREFIX, public_name
from server.operations.seed import load_bank
from server.settings import load_settings
from tests.e2e.conftest import Account, RoomClient
from tests.e2e.test_room_e2e import bearer
from tests.support.servers import AppProcess
from tests.support.workers import start_worker

pytestmark = pytest.mark.e2e

MakeAccount = Callable[..., Awaitable[Account]]
OpenRoom = Callable[..., Awaitable[RoomClient]]
BANK = {question.slug: question for question, _ in load_bank()}
DIFFICULTY_RANK = {"easy": 0, "medium": 1, "hard": 2}


@pytest.fixture
async def client(app: AppProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=app.url, timeout=10) as http:
        yield http


async def start(client: httpx.AsyncClient, token: str, slug: str) -> str:
    response = await client.post(
        f"/questions/{slug}/sessions", json={"mode": "untimed"}, headers=bearer(token)
    )
    assert response.status_code in (200, 201), response.text
    return str(response.json()["id"])


async def observed(client: httpx.AsyncClient, token: str) -> dict[str, dict[str, Any]]:
    response = await client.get(
        "/sessions", params={"role": "observer", "limit": 100}, headers=bearer(token)
    )
    assert response.status_code == 200, response.text
    return {row["id"]: row for row in response.json()}


async def test_staff_find_every_room_they_watched_with_their_own_notes(
    client: httpx.AsyncClient,
    account: MakeAccount,
    app: AppProcess,
    app_env: dict[str, str],
    open_room: OpenRoom,
) -> None:
    _, candidate = await account(name="Cleo")
    interviewer_id, interviewer = await account("interviewer", name="Ivo")
    _, admin = await account("admin", name="Ada")
    _, peer = await account(name="Pia")
    _, late_admin = await account("admin", name="Lou")
    sid = await start(client, candidate, "vending-machine")

    # From the live list: the socket handshake records the watch, as an interviewer.
    watcher = await open_room(app.url, sid, interviewer)
    await watcher.wait_for(lambda frames: any(f["type"] == "snapshot" for f in frames))
    assert (await watcher.command("note", text="Asks about refunds first")).get("type") == "ack"
    noted = await client.post(
        f"/sessions/{sid}/notes",
        json={"text": "Coin change is greedy"},
        headers=bearer(interviewer),
    )
    assert noted.status_code == 200, noted.text
    # GET /sessions/{id} records it too; an admin's note is not the interviewer's.
    assert (await client.get(f"/sessions/{sid}", headers=bearer(admin))).status_code == 200
    await client.post(f"/sessions/{sid}/notes", json={"text": "admin's"}, headers=bearer(admin))
    # Through the candidate's invite: a peer, with no notes.
    invite = (await client.post(f"/sessions/{sid}/invites", headers=bearer(candidate))).json()
    accepted = await client.post(f"/invites/{invite['token']}/accept", headers=bearer(peer))
    assert accepted.status_code == 200

    mine = (await observed(client, interviewer))[sid]
    assert (mine["observed_as"], mine["candidate_name"]) == ("interviewer", "Cleo")
    assert [n["text"] for n in mine["notes"]] == [
        "Asks about refunds first",
        "Coin change is greedy",
    ]
    assert mine["note_count"] == 2 and mine["question_slug"] == "vending-machine"
    theirs = (await observed(client, admin))[sid]
    assert theirs["observed_as"] == "interviewer"
    assert [n["text"] for n in theirs["notes"]] == ["admin's"]
    assert (await observed(client, peer))[sid]["observed_as"] == "peer"
    assert (await observed(client, peer))[sid]["notes"] == []
    assert sid not in await observed(client, candidate), "the candidate's own room is theirs"

    # Once the room has ended it stays in their history; reading it is no longer watching it.
    room = await open_room(app.url, sid, candidate)
    assert (await room.command("abandon"))["type"] == "ack"
    assert (await observed(client, interviewer))[sid]["status"] == "abandoned"
    assert (await client.get(f"/sessions/{sid}", headers=bearer(late_admin))).status_code == 200
    assert sid not in await observed(client, late_admin)

    # A watch is history, not a pass: demoted, the interviewer keeps the row but not the room.
    demoted = await client.put(
        f"/users/{interviewer_id}/role", json={"role": "candidate"}, headers=bearer(admin)
    )
    assert demoted.status_code == 200
    principal = Principal(interviewer_id, "candidate", uuid.uuid4())
    now_candidate = issue_access_token(load_settings(app_env), principal).token
    assert sid in await observed(client, now_candidate)
    gone = await client.get(f"/sessions/{sid}", headers=bearer(now_candidate))
    assert gone.status_code == 404


async def add_stats(user_id: uuid.UUID, solved: int, average: float) -> None:
    await UserStats.insert(
        UserStats(
            user_id=user_id,
            problems_solved=solved,
            sessions_completed=solved + 1,
            average_score=average,
            best_score=round(average),
            last_updated=datetime.now(UTC),
        )
    )


async def leaderboard(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    response = await client.get("/leaderboard", params={"limit": 100}, headers=bearer(token))
    assert response.status_code == 200, response.text
    board: dict[str, Any] = response.json()
    assert board["next_offset"] is None, "the suite's users fit in one page"
    return board


def assert_ranked_without_gaps(entries: list[dict[str, Any]]) -> None:
    def key(entry: dict[str, Any]) -> tuple[int, float, int]:
        return (entry["problems_solved"], entry["average_score"], entry["best_score"])

    for entry in entries:
        better = sum(key(other) > key(entry) for other in entries)
        assert entry["rank"] == better + 1, entries


async def test_the_leaderboard_shows_display_names_only_and_a_user_can_leave_it(
    client: httpx.AsyncClient, account: MakeAccount
) -> None:
    named_id, named = await account(name="Nora Named")
    nameless_id, nameless = await account(name="")
    leaver_id, leaver = await account(name="Leo Leaving")
    await add_stats(named_id, 9, 91.0)
    await add_stats(nameless_id, 8, 80.0)
    await add_stats(leaver_id, 10, 99.0)

    me = await client.patch("/me", json={"leaderboard": False}, headers=bearer(leaver))
    assert me.status_code == 200 and me.json()["leaderboard"] is False
    board = await leaderboard(client, named)
    names = {entry["user_id"]: entry["name"] for entry in board["entries"]}
    assert str(leaver_id) not in names
    assert names[str(named_id)] == "Nora Named"
    pseudonym = names[str(nameless_id)]
    assert pseudonym.startswith(PSEUDONYM_PREFIX) and pseudonym == public_name(nameless_id, "")
    assert (await client.get("/me", headers=bearer(nameless))).json()["public_name"] == pseudonym
    assert all("@" not in name and nameless_id.hex[:10] not in name for name in names.values())
    assert board["total"] == len(board["entries"])
    assert_ranked_without_gaps(board["entries"])
    stats = (await client.get("/me/stats", headers=bearer(leaver))).json()
    assert stats["rank"] is None and stats["problems_solved"] == 10

    back = await client.patch("/me", json={"leaderboard": True}, headers=bearer(leaver))
    assert back.json()["leaderboard"] is True
    board = await leaderboard(client, named)
    ranks = {entry["user_id"]: entry["rank"] for entry in board["entries"]}
    assert ranks[str(leaver_id)] < ranks[str(named_id)] < ranks[str(nameless_id)]
    assert_ranked_without_gaps(board["entries"])


@pytest.fixture(scope="module")
def rubric_worker(
    app_env: dict[str, str], artifacts: Path, app: AppProcess
) -> Iterator[AppProcess]:
    env = {k: v for k, v in app_env.items() if not k.startswith("OPENAI_")}
    worker = start_worker(env, artifacts)
    yield worker
    worker.stop()


async def evaluate(
    app: AppProcess, open_room: OpenRoom, token: str, slug: str, answer: dict[str, str]
) -> tuple[str, int]:
    """(session id, score) of an untimed attempt at `slug` that submits `answer`."""
    async with httpx.AsyncClient(base_url=app.url, timeout=10, headers=bearer(token)) as http:
        sid = await start(http, token, slug)
        await http.post(f"/sessions/{sid}/design")
        assert (await http.put(f"/sessions/{sid}/solution", json=answer)).status_code == 200
        room = await open_room(app.url, sid, token)
        assert (await room.command("submit"))["type"] == "ack"
        await room.wait_for(lambda fs: any(f["type"] == "evaluation.completed" for f in fs), 20)
        evaluation = (await http.get(f"/sessions/{sid}/evaluation")).json()
    return sid, int(evaluation["score"])


async def attempts_at(client: httpx.AsyncClient, slug: str) -> int:
    return int((await client.get(f"/questions/{slug}")).json()["attempts"])


async def test_an_empty_attempt_is_listed_marked_and_left_out_of_every_statistic(
    client: httpx.AsyncClient,
    app: AppProcess,
    rubric_worker: AppProcess,
    account: MakeAccount,
    open_room: OpenRoom,
) -> None:
    _, token = await account(name="Emmy")
    real, empty = "typeahead-autocomplete", "ride-hailing"
    before = {slug: await attempts_at(client, slug) for slug in (real, empty)}
    real_sid, score = await evaluate(
        app, open_room, token, real, dict(BANK[real].reference_solution)
    )
    # Seven words in all: "todo", two names and half a sentence.
    blank = {"functional_req": "todo", "entities": "User, Group", "apis": "split the bill later"}
    empty_sid, _ = await evaluate(app, open_room, token, empty, blank)

    listed = {
        row["id"]: row
        for row in (await client.get("/sessions", headers=bearer(token))).json()
        if row["id"] in (real_sid, empty_sid)
    }
    assert (listed[real_sid]["counted"], listed[real_sid]["empty"]) == (True, False)
    assert (listed[empty_sid]["counted"], listed[empty_sid]["empty"]) == (False, True)
    assert isinstance(listed[empty_sid]["score"], int), "shown with its score"

    stats = (await client.get("/me/stats", headers=bearer(token))).json()
    assert stats["sessions_completed"] == 1
    assert (stats["average_score"], stats["best_score"]) == (score, score)
    assert set(stats["topic_scores"]) == set(BANK[real].topics)
    plan = (await client.get("/me/study-plan", headers=bearer(token))).json()
    assert plan["sessions_evaluated"] == 1
    assert not {t["topic"] for t in plan["weak_topics"]} - set(BANK[real].topics)
    assert await attempts_at(client, real) == before[real] + 1
    assert await attempts_at(client, empty) == before[empty]


async def bank_listing(client: httpx.AsyncClient, page_size: int, **params: str) -> list[Any]:
    items: list[Any] = []
    cursor = None
    while True:
        query = {"limit": str(page_size), **params, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/questions", params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def position(item: dict[str, Any]) -> tuple[bool, int, int]:
    """The order's keys before the title (whose order is the database's collation)."""
    closed = item["is_locked"] or item["is_coming_soon"]
    return (closed, DIFFICULTY_RANK[item["difficulty"]], -item["attempts"])


async def test_the_bank_is_ordered_by_availability_difficulty_then_attempts(
    client: httpx.AsyncClient,
) -> None:
    whole = await bank_listing(client, 100)
    assert [position(item) for item in whole] == sorted(position(item) for item in whole)
    assert [item["slug"] for item in await bank_listing(client, 4)] == [
        item["slug"] for item in whole
    ], "pages follow the same order"
    assert set(BANK) <= {item["slug"] for item in whole}
    for item in whole:
        closed = item["is_locked"] or item["is_coming_soon"]
        assert (item["locked_reason"] is not None) == closed, item["slug"]
        assert item["attempts"] >= 0
    locked = next(item for item in whole if item["is_locked"])
    assert "locked" in locked["locked_reason"]
    old_cursor = await client.get("/questions", params={"cursor": "WyJhdG0tbWFjaGluZSJd"})
    assert old_cursor.status_code == 400  # a slug-only cursor from before: refused, coded
    assert old_cursor.json()["error"]["code"] == "invalid_cursor"


async def test_the_bank_searches_topics_and_companies_and_filters_companies_partially(
    client: httpx.AsyncClient,
) -> None:
    with_uber = {slug for slug, q in BANK.items() if "Uber" in q.companies}
    assert with_uber, "the bank has questions asked at Uber"
    by_part = await bank_listing(client, 100, company="ube")
    assert {item["slug"] for item in by_part} >= with_uber
    assert all(any("ube" in c["name"].lower() for c in i["companies"]) for i in by_part)

    # A topic named nowhere in the title or description is found by its topic.
    slug, topic = next(
        (slug, topic)
        for slug, q in BANK.items()
        for topic in q.topics
        if topic.lower() not in (q.title + q.description).lower()
    )
    assert slug in {item["slug"] for item in await bank_listing(client, 100, q=topic)}
    uber = await bank_listing(client, 100, q="uber")
    assert {item["slug"] for item in uber} >= with_uber
    # Every word must match somewhere: a company and a word of the title together.
    both = await bank_listing(client, 100, q="UBER parking")
    assert [item["slug"] for item in both] == ["parking-lot"]
    # LIKE's wildcards are taken as text.
    literal = {
        slug
        for slug, q in BANK.items()
        if "%" in " ".join([q.title, q.description, *q.topics, *q.companies])
    }
    assert {item["slug"] for item in await bank_listing(client, 100, q="%")} == literal


async def test_no_listing_or_room_shows_a_part_of_an_address(
    app: AppProcess, account: MakeAccount, open_room: OpenRoom
) -> None:
    """A user without a display name appears under a stable pseudonym, in the live list and in
    the room's presence, never as the part of their email before the @."""
    from domain.tables import User

    candidate_id, candidate = await account(name="")
    _, interviewer = await account("interviewer", name="")
    row = await User.select(User.email).where(User.id == candidate_id).first()
    assert row is not None
    local = row["email"].split("@")[0]
    async with httpx.AsyncClient(base_url=app.url, timeout=10) as http:
        sid = (
            await http.post("/questions/lru-cache/sessions", json={}, headers=bearer(candidate))
        ).json()["id"]
        watcher = await open_room(app.url, sid, interviewer)
        room = await open_room(app.url, sid, candidate)
        await watcher.wait_for(
            lambda frames: sum(f["type"] == "presence.joined" for f in frames) >= 2
        )
        live = (await http.get("/sessions/live", headers=bearer(interviewer))).json()
    listed = next(s for s in live if s["id"] == sid)
    assert listed["candidate_name"].startswith("Anonymous candidate ")
    names = {f["name"] for f in watcher.frames if f["type"] == "presence.joined"}
    assert any(name.startswith("Anonymous interviewer ") for name in names), names
    assert not any(local in name for name in names | {listed["candidate_name"]})
    assert room.frames
