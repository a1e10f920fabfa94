"""The session REST API as a client meets it: start/resume, guards, coded errors, invites."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest

from tests.e2e.conftest import Account, RoomClient
from tests.e2e.test_room_e2e import bearer
from tests.support.servers import AppProcess

pytestmark = pytest.mark.e2e

MakeAccount = Callable[..., Awaitable[Account]]
OpenRoom = Callable[..., Awaitable[RoomClient]]


@pytest.fixture
async def client(app: AppProcess) -> httpx.AsyncClient:
    async with httpx.AsyncClient(base_url=app.url, timeout=10) as http:
        yield http  # type: ignore[misc]


async def test_start_creates_then_resumes_the_unfinished_session(
    client: httpx.AsyncClient,
    account: MakeAccount,
) -> None:
    _, token = await account()
    first = await client.post(
        "/questions/elevator-system/sessions",
        json={"mode": "timed", "durations": {"clarifying": 300}},
        headers=bearer(token),
    )
    assert first.status_code == 201
    body = first.json()
    assert body["durations"]["clarifying"] == 300 and body["deadline"] > body["server_time"]
    again = await client.post("/questions/elevator-system/sessions", json={}, headers=bearer(token))
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    mine = (await client.get("/sessions", headers=bearer(token))).json()
    assert [s["id"] for s in mine] == [body["id"]]
    assert mine[0]["question_slug"] == "elevator-system" and mine[0]["status"] == "clarifying"


@pytest.mark.parametrize(
    ("slug", "body", "status", "code"),
    [
        ("atm-machine", {}, 403, "question_locked"),
        ("pub-sub-message-queue", {}, 409, "question_coming_soon"),
        ("no-such-question", {}, 404, "question_not_found"),
        ("splitwise", {"durations": {"clarifying": 5}}, 422, "invalid_command"),
        ("splitwise", {"durations": {"design": 4 * 3600}}, 422, "invalid_command"),
        ("splitwise", {"durations": {"submitted": 60}}, 422, "invalid_command"),
        ("splitwise", {"mode": "relaxed"}, 400, "invalid_request"),
    ],
)
async def test_start_refusals_are_coded(
    client: httpx.AsyncClient,
    account: MakeAccount,
    slug: str,
    body: dict[str, object],
    status: int,
    code: str,
) -> None:
    _, token = await account()
    response = await client.post(f"/questions/{slug}/sessions", json=body, headers=bearer(token))
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert (await client.get("/sessions", headers=bearer(token))).json() == []


async def test_rest_commands_mirror_the_socket(
    client: httpx.AsyncClient, account: MakeAccount
) -> None:
    _, token = await account()
    sid = (
        await client.post(
            "/questions/library-management/sessions",
            json={"mode": "untimed"},
            headers=bearer(token),
        )
    ).json()["id"]
    answer = (
        await client.post(
            f"/sessions/{sid}/clarifications",
            json={"question": "Is there a limit on books per member?"},
            headers=bearer(token),
        )
    ).json()
    assert (
        answer["status"] == "answered" and answer["answer"] and answer["clarification_id"] == "c1"
    )
    state = (await client.get(f"/sessions/{sid}", headers=bearer(token))).json()
    assert state["clarifications_left"] == answer["clarifications_left"]
    assert state["deadline"] is None and state["mode"] == "untimed"
    early = await client.post(f"/sessions/{sid}/submit", headers=bearer(token))
    assert early.status_code == 409 and early.json()["error"]["code"] == "phase_illegal"
    bad = await client.put(
        f"/sessions/{sid}/solution", json={"language": "cobol"}, headers=bearer(token)
    )
    assert bad.status_code == 400
    note = await client.post(f"/sessions/{sid}/notes", json={"text": "mine"}, headers=bearer(token))
    assert note.status_code == 403 and note.json()["error"]["code"] == "role_forbidden"
    after = (await client.get(f"/sessions/{sid}", headers=bearer(token))).json()
    assert after["seq"] == state["seq"]


async def test_other_users_cannot_see_a_session_until_invited(
    client: httpx.AsyncClient,
    account: MakeAccount,
    app: AppProcess,
    open_room: OpenRoom,
) -> None:
    _, owner = await account()
    _, stranger = await account()
    _, friend = await account()
    sid = (
        await client.post("/questions/snake-and-ladder/sessions", json={}, headers=bearer(owner))
    ).json()["id"]
    hidden = await client.get(f"/sessions/{sid}", headers=bearer(stranger))
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "session_not_found"
    refused = await open_room(app.url, sid, stranger)
    code, _ = await refused.closed
    assert code == 4404
    invite = (await client.post(f"/sessions/{sid}/invites", headers=bearer(owner))).json()
    assert invite["url"].endswith(invite["token"])
    accepted = await client.post(f"/invites/{invite['token']}/accept", headers=bearer(friend))
    assert accepted.status_code == 200 and accepted.json()["session_id"] == sid
    view = (await client.get(f"/sessions/{sid}", headers=bearer(friend))).json()
    assert view["role"] == "peer"  # invited by the candidate: watches, no notes
    forged = await client.post("/invites/not-a-real-token/accept", headers=bearer(stranger))
    assert forged.status_code == 404 and forged.json()["error"]["code"] == "invite_invalid"
    still_hidden = await client.get(f"/sessions/{sid}", headers=bearer(stranger))
    assert still_hidden.status_code == 404


async def test_live_rooms_are_for_interviewers(
    client: httpx.AsyncClient, account: MakeAccount
) -> None:
    _, candidate = await account()
    _, interviewer = await account("interviewer")
    sid = (
        await client.post("/questions/tic-tac-toe/sessions", json={}, headers=bearer(candidate))
    ).json()["id"]
    denied = await client.get("/sessions/live", headers=bearer(candidate))
    assert denied.status_code == 403
    live = (await client.get("/sessions/live", headers=bearer(interviewer))).json()
    assert sid in [s["id"] for s in live]
    unauthenticated = await client.get("/sessions/live")
    assert unauthenticated.status_code == 401


async def test_an_admin_edit_changes_the_question_and_survives_reseeding(
    client: httpx.AsyncClient,
    account: MakeAccount,
    database: str,
) -> None:
    from server.operations.seed import seed

    _, admin = await account("admin")
    _, candidate = await account()
    denied = await client.patch(
        "/questions/web-crawler", json={"is_locked": True}, headers=bearer(candidate)
    )
    assert denied.status_code == 403
    bad = await client.patch(
        "/questions/web-crawler", json={"design_secs": 1}, headers=bearer(admin)
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_command"
    edited = await client.patch(
        "/questions/web-crawler",
        json={"title": "Design a Polite Web Crawler", "design_secs": 1800},
        headers=bearer(admin),
    )
    assert edited.status_code == 200
    assert edited.json()["title"] == "Design a Polite Web Crawler"
    report = await seed()
    assert report.kept_admin_edits >= 1
    again = (await client.get("/questions/web-crawler")).json()
    assert again["title"] == "Design a Polite Web Crawler"
    assert again["durations"]["design"] == 1800


async def test_session_lists_carry_scores_and_invited_sessions(
    client: httpx.AsyncClient,
    account: MakeAccount,
    database: str,
) -> None:
    from datetime import UTC, datetime

    from domain.tables import Evaluation, Solution

    _, owner = await account()
    _, friend = await account()
    sid = (
        await client.post("/questions/splitwise/sessions", json={}, headers=bearer(owner))
    ).json()["id"]
    solution = Solution(session_id=sid, submitted_at=datetime.now(UTC))
    await solution.save()
    await Evaluation.insert(
        Evaluation(solution_id=solution.id, score=71, evaluated_at=datetime.now(UTC))
    )
    mine = (await client.get("/sessions", headers=bearer(owner))).json()
    assert mine[0]["id"] == sid and mine[0]["score"] == 71
    assert (
        await client.get("/sessions", params={"role": "observer"}, headers=bearer(friend))
    ).json() == []
    token = (await client.post(f"/sessions/{sid}/invites", headers=bearer(owner))).json()["token"]
    await client.post(f"/invites/{token}/accept", headers=bearer(friend))
    watched = (
        await client.get("/sessions", params={"role": "observer"}, headers=bearer(friend))
    ).json()
    assert [s["id"] for s in watched] == [sid]


async def test_public_config_says_whether_google_sign_in_is_on(
    client: httpx.AsyncClient,
    app_env: dict[str, str],
) -> None:
    config = (await client.get("/config")).json()
    assert config["google_client_id"] == app_env.get("GOOGLE_CLIENT_ID")


async def test_a_session_whose_room_is_lost_everywhere_answers_404(
    client: httpx.AsyncClient,
    account: MakeAccount,
    database: str,
) -> None:
    import uuid
    from datetime import UTC, datetime

    from domain.tables import InterviewSession, Question

    user_id, token = await account()
    question = await Question.select(Question.id).where(Question.slug == "lru-cache").first()
    assert question is not None
    orphan = uuid.uuid4()
    now = datetime.now(UTC)
    await InterviewSession.insert(
        InterviewSession(
            id=orphan,
            user_id=user_id,
            question_id=question["id"],
            started_at=now,
            updated_at=now,
        )
    )
    response = await client.get(f"/sessions/{orphan}", headers=bearer(token))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "session_not_found"
