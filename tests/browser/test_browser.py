"""The browser room in a real Chromium against a real server, worker and mail server.

A candidate signs in through the real OTP mail and runs a whole timed session while an invited
observer watches in a second browser context; both timers expire inside the test, the offline
rubric evaluation streams in, and the session is replayed. Screenshots of every page land in
tests/artifacts/screenshots/.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from playwright.sync_api import Browser, BrowserContext, Page, WebSocketRoute, expect

from tests.browser.conftest import LAPTOP, PHONE
from tests.support.servers import AppProcess, SuiteServers
from tests.support.smtp import SmtpServer, client_ip

pytestmark = pytest.mark.browser

Shot = Callable[..., Path]
# Short phases, so both timers run out inside the test (the server's minimum is 10 s).
CLARIFYING_SECS = 15
DESIGN_SECS = 20
SLOW_MS = 15_000
# Markup in user text must arrive as text: the page never parses it as HTML.
QUESTION = "How many floors and spot types are there? <img src=x onerror=window.__xss=1>"

DRAFT = {
    "Functional requirements": "- Assign a compatible free spot and issue a ticket at entry\n"
    "- Compute the fee at exit, take payment and free the spot",
    "Entities": "ParkingLot, Floor, Spot (small/compact/large), Vehicle, Ticket, Gate",
    "Classes and relationships": "ParkingLot has Floors; Floor has Spots; "
    "SpotAllocator strategy picks a spot; Ticket refers to Spot and Vehicle",
    "APIs": "enter(vehicle) -> Ticket\nexit(ticket) -> Fee\nfree_spots(floor) -> counts",
}


@pytest.fixture
def contexts(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """New browser contexts (separate users), each its own client address for rate limits."""
    opened: list[BrowserContext] = []

    def new(viewport: dict[str, int] = LAPTOP, **kwargs: Any) -> BrowserContext:
        context = browser.new_context(
            viewport=viewport, extra_http_headers={"X-Forwarded-For": client_ip()}, **kwargs
        )
        context.set_default_timeout(10_000)
        opened.append(context)
        return context

    yield new
    for context in opened:
        context.close()


def watch_errors(page: Page, errors: list[str]) -> None:
    """Collects uncaught exceptions and console errors (failed loads of optional endpoints,
    such as /config on a server without Google sign-in, are not errors)."""

    def console(message: Any) -> None:
        if message.type == "error" and "Failed to load resource" not in message.text:
            errors.append(f"console: {message.text}")

    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    page.on("console", console)


def sign_in(page: Page, base: str, smtp: SmtpServer, email: str) -> None:
    page.goto(base + "/")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Email me a code").click()
    code = page.get_by_label("Six-digit code")
    expect(code).to_be_focused()
    code.fill(smtp.code_for(email))  # six digits submit by themselves
    expect(page.get_by_role("heading", name="Question bank")).to_be_visible()


def paste(page: Page, selector: str, text: str) -> None:
    page.locator(selector).evaluate(
        """(el, text) => {
            const data = new DataTransfer();
            data.setData("text/plain", text);
            el.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true,
                                                          cancelable: true}));
        }""",
        text,
    )


def current_phase(page: Page) -> Any:
    return page.locator(".phasebar li.current")


def test_a_timed_interview_watched_live_then_evaluated_and_replayed(
    app: AppProcess,
    smtp: SmtpServer,
    evaluation_worker: AppProcess,
    contexts: Callable[..., BrowserContext],
    screenshots: Shot,
) -> None:
    tag = secrets.token_hex(3)
    candidate_context = contexts()
    cand, obs = candidate_context.new_page(), contexts().new_page()
    # The candidate's computer clock is two hours slow: the countdown must not care.
    cand.clock.install(time=time.time() - 2 * 3600)
    errors: list[str] = []
    watch_errors(cand, errors)
    watch_errors(obs, errors)
    frames: list[str] = []  # everything the candidate's browser received over the WebSocket
    cand.on("websocket", lambda ws: ws.on("framereceived", lambda frame: frames.append(frame)))

    sign_in_by_keyboard_after_a_wrong_code(
        cand, app.url, smtp, f"cora.{tag}@example.test", screenshots
    )
    interviewer = f"ivan.{tag}@example.test"
    sign_in(obs, app.url, smtp, interviewer)
    promote(app, interviewer, "interviewer")  # while signed in: the page picks it up at once
    session_id = browse_the_bank_and_start_a_short_session(cand, screenshots)
    invite_the_observer(cand, obs, app.url, session_id)
    clarify_until_the_clock_runs_out(cand, obs, screenshots)
    design_while_the_observer_watches(cand, obs, screenshots)
    let_the_design_clock_run_out_and_watch_the_evaluation(cand, obs, screenshots)

    # The private note never reached the candidate, in the page or on the wire.
    assert "probe concurrency" not in cand.content()
    assert not any("note.added" in str(frame) for frame in frames)
    assert any("solution.submitted" in str(f) and '"timer"' in str(f) for f in frames)

    replay_from_the_history(cand, obs, app.url, session_id, screenshots)
    edit_the_profile(cand, screenshots)
    phone = contexts(PHONE, storage_state=candidate_context.storage_state()).new_page()
    watch_errors(phone, errors)
    look_at_a_phone_width(phone, app.url, session_id, screenshots)
    assert errors == []


def sign_in_by_keyboard_after_a_wrong_code(
    page: Page, base: str, smtp: SmtpServer, email: str, shot: Shot
) -> None:
    page.goto(base + "/")
    expect(page.get_by_label("Email address")).to_be_focused()
    page.keyboard.type(email)
    shot(page, "01-sign-in")
    page.keyboard.press("Enter")
    code = page.get_by_label("Six-digit code")
    expect(code).to_be_focused()
    right = smtp.code_for(email)
    page.keyboard.type(f"{(int(right) + 1) % 1_000_000:06d}")  # six digits submit by themselves
    expect(page.get_by_role("alert")).to_have_text("That code is not right. 4 tries left.")
    expect(code).to_be_focused()
    shot(page, "02-sign-in-wrong-code")
    code.fill("")
    paste(page, "#signin-code", f"Your code: {right[:3]} {right[3:]}")
    expect(page.get_by_role("heading", name="Question bank")).to_be_visible()


def browse_the_bank_and_start_a_short_session(page: Page, shot: Shot) -> str:
    expect(page.locator(".qcard").first).to_be_visible()
    shot(page, "03-question-bank", full_page=False)
    search = page.get_by_label("Search")
    search.fill("Logging Framework")
    expect(page.locator(".qcard")).to_have_count(1)
    expect(page.locator(".qcard")).to_contain_text("Locked")
    search.fill("Collaborative")
    expect(page.locator(".qcard")).to_contain_text("Coming soon")
    page.get_by_label("Type").select_option("LLD")
    page.get_by_label("Company").fill("uber")
    page.get_by_label("Company").press("Enter")
    search.fill("parking")
    card = page.locator(".qcard")
    expect(card).to_have_count(1)
    expect(card.locator("h2")).to_have_text("Design a Parking Lot")
    for text in ("LLD", "Medium", "Amazon", "acceptance", "8 clarifications"):
        expect(card).to_contain_text(text)
    assert all(f in page.url for f in ("type=LLD", "company=uber", "q=parking"))

    card.get_by_role("button", name="Start").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Clarifying time").fill("0:05")
    dialog.get_by_role("button", name="Start session").click()
    expect(dialog.get_by_role("alert")).to_contain_text("between 0:10 and 180:00")
    dialog.get_by_label("Clarifying time").fill(f"0:{CLARIFYING_SECS:02d}")
    dialog.get_by_label("Design time").fill(f"0:{DESIGN_SECS:02d}")
    shot(page, "04-start-dialog", full_page=False)
    dialog.get_by_role("button", name="Start session").click()
    expect(page).to_have_url(re.compile(r"#/room/[0-9a-f-]{36}$"))
    expect(page.locator(".connection")).to_have_text("Live")
    return page.url.rsplit("/", 1)[1]


def promote(app: AppProcess, email: str, role: str) -> None:
    """What an operator does: `interview-rooms users promote` against the running server's data."""
    subprocess.run(
        [sys.executable, "-m", "server.operations.cli", "users", "promote", email, "--role", role],
        env={**os.environ, **app.env},
        check=True,
        capture_output=True,
    )


def invite_the_observer(cand: Page, obs: Page, base: str, session_id: str) -> None:
    """The candidate makes an invite link (a peer's, single use); the interviewer, staff since a
    moment ago, finds the room among the live ones without signing out and back in."""
    cand.get_by_role("button", name="Invite an observer").click()
    invite = cand.get_by_label(re.compile("Invite link"))
    expect(invite).to_have_value(re.compile("#/invite/"))
    assert invite.input_value().startswith(base)
    expect(cand.locator(".invite-list")).to_contain_text("Not used yet (0/1)")
    obs.goto(f"{base}/#/room/{session_id}")
    expect(obs).to_have_url(re.compile(rf"#/room/{session_id}$"))
    expect(obs.locator(".room-title .badge.role")).to_have_text("Observing")
    expect(obs.locator(".connection")).to_have_text("Live")
    expect(cand.locator(".presence-list")).to_contain_text("observer")


def clarify_until_the_clock_runs_out(cand: Page, obs: Page, shot: Shot) -> None:
    ask = cand.get_by_label("Ask a clarifying question")
    ask.fill(QUESTION)
    ask.press("Enter")
    exchange = cand.locator(".chat-log .exchange")
    expect(exchange).to_have_count(1)
    expect(exchange.first.locator(".question")).to_contain_text(
        QUESTION
    )  # shown as text, not markup
    expect(exchange.first.locator(".answer")).not_to_have_class(re.compile("pending"))
    expect(cand.locator(".budget")).to_have_text("7 of 8 questions left")
    expect(obs.locator(".chat-log")).to_contain_text("How many floors")

    # The observer takes over answering, and answers the next question by hand.
    obs.get_by_label("Me, live (falls back after 90 s)").check()
    expect(obs.locator(".answer-mode")).to_contain_text("You answer new questions now.")
    ask.fill("Can a driver lose the ticket?")
    ask.press("Enter")
    expect(exchange.nth(1).locator(".answer")).to_have_text("Waiting for the interviewer…")
    obs.get_by_label("Your answer").fill("Yes: charge the daily maximum.")
    obs.get_by_role("button", name="Send answer").click()
    expect(exchange.nth(1).locator(".answer")).to_have_text(
        "InterviewerYes: charge the daily maximum."
    )
    expect(cand.locator(".budget")).to_have_text("6 of 8 questions left")
    expect(cand.locator(".countdown")).to_have_class(re.compile("warning"))
    assert time.time() - cand.evaluate("Date.now() / 1000") > 3600  # the skew is in effect
    minutes, seconds = cand.locator(".countdown-value").inner_text().split(":")
    assert 0 < int(minutes) * 60 + int(seconds) <= CLARIFYING_SECS
    shot(cand, "05-room-candidate-clarifying", full_page=False)
    expect(current_phase(cand)).to_have_text("Design", timeout=SLOW_MS)  # the server moved on
    expect(current_phase(obs)).to_have_text("Design")
    expect(ask).to_be_hidden()
    for page in (cand, obs):
        assert page.evaluate("window.__xss") is None


def design_while_the_observer_watches(cand: Page, obs: Page, shot: Shot) -> None:
    for label, text in DRAFT.items():
        cand.get_by_label(label, exact=True).fill(text)
    expect(cand.locator(".save-summary")).to_have_text("All changes saved")
    for label, text in DRAFT.items():
        expect(obs.get_by_label(label, exact=True)).to_have_value(text)

    obs.get_by_label("Give the candidate a hint").fill("Two gates can race for one spot.")
    obs.get_by_role("button", name="Send hint").click()
    obs.get_by_label("Add a private note").fill("Good requirements; probe concurrency.")
    obs.get_by_role("button", name="Save note").click()
    expect(obs.locator(".note-list")).to_contain_text("probe concurrency")
    expect(cand.locator(".hints")).to_contain_text("Two gates can race")
    shot(obs, "06-room-observer")

    cand.get_by_role("button", name="Submit solution").click()
    confirm = cand.get_by_role("dialog")
    expect(confirm).to_contain_text("Submit your solution?")
    shot(cand, "07-room-candidate-submit-confirm", full_page=False)
    confirm.get_by_role("button", name="Cancel").click()
    expect(current_phase(cand)).to_have_text("Design")


def let_the_design_clock_run_out_and_watch_the_evaluation(
    cand: Page, obs: Page, shot: Shot
) -> None:
    expect(current_phase(cand)).not_to_have_text("Design", timeout=DESIGN_SECS * 1000 + 5000)
    expect(cand.locator(".eval-stream")).not_to_be_empty(timeout=SLOW_MS)
    expect(current_phase(cand)).to_have_text("Evaluated", timeout=SLOW_MS)
    score = cand.locator(".score-line .score")
    expect(score).to_have_text(re.compile(r"^\d{1,3}$"))
    expect(cand.locator(".section-notes tbody tr").first).to_be_visible()
    expect(cand.locator(".eval-status")).to_contain_text("Offline rubric evaluator")
    expect(obs.locator(".score-line .score")).to_have_text(score.inner_text())
    shot(cand, "08-evaluation")
    shot(obs, "08-evaluation-observer")


def replay_from_the_history(cand: Page, obs: Page, base: str, session_id: str, shot: Shot) -> None:
    cand.get_by_role("link", name="History").click()
    row = cand.locator("tr", has_text="Design a Parking Lot")
    expect(row).to_contain_text("Evaluated")
    expect(row.locator(".score")).to_have_text(re.compile(r"^\d{1,3}$"))
    shot(cand, "09-history")
    row.get_by_role("link", name="Replay").click()
    expect(cand.get_by_label("Timeline")).to_be_visible()
    expect(current_phase(cand)).to_have_text("Clarify")
    expect(cand.get_by_label("Functional requirements", exact=True)).to_have_value("")
    cand.locator(".event-log button", has_text="Asked: “How many floors").click()
    expect(cand.locator(".chat-log .exchange")).to_have_count(1)
    cand.get_by_label("Speed").select_option("60")
    cand.get_by_role("button", name="Play").click()
    expect(cand.get_by_role("button", name="Play again")).to_be_visible(timeout=SLOW_MS)
    expect(current_phase(cand)).to_have_text("Evaluated")
    expect(cand.get_by_label("Entities", exact=True)).to_have_value(DRAFT["Entities"])
    expect(cand.locator(".event-log")).not_to_contain_text("Private note")
    cand.locator(".event-log button", has_text="Hint:").click()
    expect(cand.get_by_label("Timeline")).not_to_have_value("0")
    expect(current_phase(cand)).to_have_text("Design")
    shot(cand, "10-replay")
    obs.goto(f"{base}/#/replay/{session_id}")
    expect(obs.locator(".event-log")).to_contain_text("Private note")
    shot(obs, "10-replay-observer")


def edit_the_profile(page: Page, shot: Shot) -> None:
    page.get_by_role("link", name="cora").click()
    expect(page.get_by_role("heading", name="Profile and progress")).to_be_visible()
    page.get_by_label("Display name").fill("Cora Candidate")
    page.get_by_role("button", name="Save profile").click()
    expect(page.locator(".profile-form .form-status")).to_have_text("Saved")
    expect(page.locator("#nav")).to_contain_text("Cora Candidate")
    expect(page.locator(".stats")).to_contain_text("Best score")
    shot(page, "11-profile")


def look_at_a_phone_width(page: Page, base: str, session_id: str, shot: Shot) -> None:
    page.goto(f"{base}/#/questions")
    expect(page.locator(".qcard").first).to_be_visible()
    shot(page, "12-phone-question-bank", full_page=False)
    page.goto(f"{base}/#/room/{session_id}")
    expect(page.locator(".score-line .score")).to_be_in_viewport()  # the result comes first
    shot(page, "13-phone-room")
    page.goto(f"{base}/#/history")
    expect(page.locator("tr", has_text="Design a Parking Lot")).to_be_visible()
    shot(page, "14-phone-history", full_page=False)


def test_a_dropped_connection_resumes_without_reload_and_loses_no_typing(
    app: AppProcess,
    smtp: SmtpServer,
    contexts: Callable[..., BrowserContext],
    screenshots: Shot,
) -> None:
    email = f"rhea.{secrets.token_hex(3)}@example.test"
    page = contexts().new_page()
    errors: list[str] = []
    watch_errors(page, errors)
    network = {"down": False, "urls": [], "routes": []}

    def route(ws: WebSocketRoute) -> None:
        network["urls"].append(ws.url)
        if network["down"]:
            ws.close(code=4000, reason="network down")
            return
        ws.connect_to_server()
        network["routes"].append(ws)

    page.route_web_socket(re.compile(r"/ws/sessions/"), route)
    sign_in(page, app.url, smtp, email)
    page.get_by_label("Search").fill("LRU")
    expect(page.locator(".qcard")).to_have_count(1)
    page.locator(".qcard").get_by_role("button", name="Start").click()
    page.get_by_label("Untimed: take as long as you need").check()
    expect(page.get_by_label("Design time")).to_be_hidden()
    page.get_by_role("button", name="Start session").click()
    expect(page.locator(".connection")).to_have_text("Live")
    expect(page.locator(".countdown")).to_contain_text("Untimed")
    page.evaluate("window.__sameDocument = true")

    entities = page.get_by_label("Entities", exact=True)
    entities.fill("Cache, Node")
    expect(page.locator(".save-summary")).to_have_text("All changes saved")

    network["down"] = True
    for ws in network["routes"]:
        ws.close(code=4000, reason="network down")
    expect(page.locator(".connection")).to_contain_text("Reconnecting")
    entities.fill("Cache, Node, DoublyLinkedList, HashMap")
    page.get_by_label("APIs", exact=True).fill("get(key) -> value\nput(key, value)")
    expect(page.locator(".save-summary")).to_contain_text("Offline")
    screenshots(page, "15-room-offline", full_page=False)

    network["down"] = False
    expect(page.locator(".connection")).to_have_text("Live", timeout=SLOW_MS)
    expect(page.locator(".save-summary")).to_have_text("All changes saved")
    assert page.evaluate("window.__sameDocument") is True
    assert re.search(r"\?after=\d+&epoch=\d+$", network["urls"][-1]), network["urls"]

    session_id = page.url.rsplit("/", 1)[1]
    stored = json.loads(page.evaluate("localStorage.getItem('interview-rooms.auth')"))
    view = httpx.get(
        f"{app.url}/sessions/{session_id}",
        headers={"Authorization": f"Bearer {stored['access_token']}"},
        timeout=10,
    ).json()
    assert view["draft"]["entities"] == "Cache, Node, DoublyLinkedList, HashMap"
    assert view["draft"]["apis"] == "get(key) -> value\nput(key, value)"
    assert errors == []


def test_an_open_tab_gives_back_what_redis_lost(
    app: AppProcess,
    servers: SuiteServers,
    smtp: SmtpServer,
    contexts: Callable[..., BrowserContext],
) -> None:
    """Redis loses its data seconds after the candidate's text was saved: the room comes back
    from Postgres without it, in a new epoch, and the open tab sends it again."""
    email = f"ines.{secrets.token_hex(3)}@example.test"
    page = contexts().new_page()
    errors: list[str] = []
    watch_errors(page, errors)
    sign_in(page, app.url, smtp, email)
    page.get_by_label("Search").fill("LRU")
    expect(page.locator(".qcard")).to_have_count(1)
    page.locator(".qcard").get_by_role("button", name="Start").click()
    page.get_by_label("Untimed: take as long as you need").check()
    page.get_by_role("button", name="Start session").click()
    expect(page.locator(".connection")).to_have_text("Live")
    entities = page.get_by_label("Entities", exact=True)
    entities.fill("Cache, Node, DoublyLinkedList")
    expect(page.locator(".save-summary")).to_have_text("All changes saved")

    with redis.Redis.from_url(servers.redis_url) as client:
        client.flushall()  # within the archive delay: the room's last draft is only in Redis

    session_id = page.url.rsplit("/", 1)[1]
    headers = {"Authorization": f"Bearer {stored_auth(page)['access_token']}"}
    deadline = time.monotonic() + 20
    view: dict[str, Any] = {}
    while time.monotonic() < deadline:
        view = httpx.get(f"{app.url}/sessions/{session_id}", headers=headers, timeout=10).json()
        if view.get("epoch", 0) >= 1 and view["draft"]["entities"]:
            break
        page.wait_for_timeout(250)
    assert view["epoch"] >= 1, "the room was rebuilt in a new epoch"
    assert view["draft"]["entities"] == "Cache, Node, DoublyLinkedList"
    expect(page.locator(".save-summary")).to_have_text("All changes saved")
    assert errors == []


def stored_auth(page: Page) -> dict[str, Any]:
    raw = page.evaluate("localStorage.getItem('interview-rooms.auth')")
    assert raw, "signed out"
    answer: dict[str, Any] = json.loads(raw)
    return answer


def tamper_auth(page: Page, **fields: Any) -> None:
    page.evaluate(
        """fields => {
            const auth = JSON.parse(localStorage.getItem("interview-rooms.auth"));
            if ("expires_in" in fields) auth.expires_at = Date.now() / 1000 + fields.expires_in;
            if ("access_token" in fields) auth.access_token = fields.access_token;
            localStorage.setItem("interview-rooms.auth", JSON.stringify(auth));
        }""",
        fields,
    )


def test_access_tokens_are_refreshed_silently(
    app: AppProcess, smtp: SmtpServer, contexts: Callable[..., BrowserContext]
) -> None:
    page = contexts().new_page()
    errors: list[str] = []
    watch_errors(page, errors)
    sign_in(page, app.url, smtp, f"tess.{secrets.token_hex(3)}@example.test")
    first = stored_auth(page)

    # About to expire: the page trades its refresh token before calling the API.
    tamper_auth(page, expires_in=-5)
    page.reload()
    expect(page.get_by_role("heading", name="Question bank")).to_be_visible()
    expect(page.locator(".qcard").first).to_be_visible()
    second = stored_auth(page)
    assert second["refresh_token"] != first["refresh_token"]

    # The server refuses the access token: the page refreshes once and retries the request.
    tamper_auth(page, access_token="not-a-token", expires_in=600)
    page.reload()
    page.get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", name="My sessions")).to_be_visible()
    third = stored_auth(page)
    assert third["access_token"] not in ("not-a-token", second["access_token"])
    assert third["refresh_token"] != second["refresh_token"]
    assert errors == []


def test_markdown_renders_a_safe_subset(
    app: AppProcess, contexts: Callable[..., BrowserContext]
) -> None:
    page = contexts().new_page()
    page.goto(app.url + "/#/signin")
    html = page.evaluate(
        """async () => {
            const { renderMarkdown } = await import("/js/markdown.js");
            const box = document.createElement("div");
            box.append(renderMarkdown([
                "# Title", "Some **bold**, *italic* and `code` <script>window.__xss = 1</script>",
                "- one [safe](https://example.org)", "- two [bad](javascript:void)",
                "```", "<b>kept as text</b>", "```",
            ].join("\\n")));
            return box.innerHTML;
        }"""
    )
    assert "<h3>Title</h3>" in html
    assert "<strong>bold</strong>" in html and "<em>italic</em>" in html
    assert "<code>code</code>" in html
    assert "&lt;script&gt;" in html and "<script" not in html
    assert (
        '<a href="https://example.org/" target="_blank" rel="noopener noreferrer">safe</a>' in html
    )
    assert "javascript:" not in html and "<li>two bad</li>" in html
    assert "<pre><code>&lt;b&gt;kept as text&lt;/b&gt;</code></pre>" in html
    assert page.evaluate("window.__xss") is None
