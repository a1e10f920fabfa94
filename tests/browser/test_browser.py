"""The browser room in a real Chromium against a real server, worker and mail server.

A candidate signs in through the real OTP mail and runs a whole timed session while an invited
observer watches in a second browser context; both timers expire inside the test, the offline
rubric evaluation streams in, and the session is replayed. Screenshots of every page land in
tests/artifacts/screenshots/.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, WebSocketRoute, expect

from tests.browser.conftest import LAPTOP, PHONE
from tests.support.servers import AppProcess
from tests.support.smtp import SmtpServer, client_ip

pytestmark = pytest.mark.browser

Shot = Callable[..., Path]
# Short phases, so both timers run out inside the test (the server's minimum is 10 s).
CLARIFYING_SECS = 10
DESIGN_SECS = 20
SLOW_MS = 15_000

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


def watch_errors(page: Page) -> list[str]:
    """Uncaught exceptions and console errors, except failed loads of optional endpoints."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    page.on(
        "console",
        lambda m: m.type == "error"
        and "Failed to load resource" not in m.text
        and errors.append(f"console: {m.text}"),
    )
    return errors


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
    cora, ivan = f"cora.{tag}@example.test", f"ivan.{tag}@example.test"
    candidate_context, observer_context = contexts(), contexts()
    cand, obs = candidate_context.new_page(), observer_context.new_page()
    errors = watch_errors(cand) + watch_errors(obs)
    cand_frames: list[str] = []
    cand.on("websocket", lambda ws: ws.on("framereceived", lambda frame: cand_frames.append(frame)))

    # Sign-in by keyboard alone, a wrong code first, then the real one pasted with spaces.
    cand.goto(app.url + "/")
    expect(cand.get_by_label("Email address")).to_be_focused()
    cand.keyboard.type(cora)
    screenshots(cand, "01-sign-in")
    cand.keyboard.press("Enter")
    expect(cand.get_by_label("Six-digit code")).to_be_focused()
    right = smtp.code_for(cora)
    cand.keyboard.type(f"{(int(right) + 1) % 1_000_000:06d}")
    expect(cand.get_by_role("alert")).to_have_text("That code is not right. 4 tries left.")
    screenshots(cand, "02-sign-in-wrong-code")
    cand.get_by_label("Six-digit code").fill("")
    paste(cand, "#signin-code", f"Your code: {right[:3]} {right[3:]}")
    expect(cand.get_by_role("heading", name="Question bank")).to_be_visible()
    sign_in(obs, app.url, smtp, ivan)

    # The bank: badges, acceptance, locked and coming-soon states, filters.
    expect(cand.locator(".qcard").first).to_be_visible()
    screenshots(cand, "03-question-bank", full_page=False)
    search = cand.get_by_label("Search")
    search.fill("Logging Framework")
    expect(cand.locator(".qcard")).to_have_count(1)
    expect(cand.locator(".qcard")).to_contain_text("Locked")
    search.fill("Collaborative")
    expect(cand.locator(".qcard")).to_contain_text("Coming soon")
    cand.get_by_label("Type").select_option("LLD")
    search.fill("parking")
    card = cand.locator(".qcard")
    expect(card).to_have_count(1)
    expect(card.locator("h2")).to_have_text("Design a Parking Lot")
    for text in ("LLD", "Medium", "Amazon", "acceptance", "8 clarifications"):
        expect(card).to_contain_text(text)
    assert "type=LLD" in cand.url and "q=parking" in cand.url

    # Start a short timed session.
    card.get_by_role("button", name="Start").click()
    dialog = cand.get_by_role("dialog")
    dialog.get_by_label("Clarifying time").fill("0:05")
    dialog.get_by_role("button", name="Start session").click()
    expect(dialog.get_by_role("alert")).to_contain_text("between 0:10 and 180:00")
    dialog.get_by_label("Clarifying time").fill(f"0:{CLARIFYING_SECS:02d}")
    dialog.get_by_label("Design time").fill(f"0:{DESIGN_SECS:02d}")
    screenshots(cand, "04-start-dialog", full_page=False)
    dialog.get_by_role("button", name="Start session").click()
    expect(cand).to_have_url(re.compile(r"#/room/[0-9a-f-]{36}$"))
    session_id = cand.url.rsplit("/", 1)[1]
    expect(cand.locator(".connection")).to_have_text("Live")

    # Invite the observer, who opens the link and joins the room live.
    cand.get_by_role("button", name="Invite an observer").click()
    invite = cand.get_by_label(re.compile("Invite link"))
    expect(invite).to_have_value(re.compile("#/invite/"))
    link = invite.input_value()
    assert link.startswith(app.url) and "#/invite/" in link
    obs.goto(link)
    expect(obs).to_have_url(re.compile(rf"#/room/{session_id}$"))
    expect(obs.locator(".room-title .badge.role")).to_have_text("Observing")
    expect(obs.locator(".connection")).to_have_text("Live")
    expect(cand.locator(".presence-list")).to_contain_text("observer")

    # A clarification, answered from the question's rules; the clock is in its warning state.
    ask = cand.get_by_label("Ask a clarifying question")
    ask.fill("How many floors and spot types are there?")
    ask.press("Enter")
    exchange = cand.locator(".chat-log .exchange")
    expect(exchange).to_have_count(1)
    expect(exchange.locator(".answer")).not_to_have_class(re.compile("pending"))
    expect(cand.locator(".budget")).to_have_text("7 of 8 questions left")
    expect(obs.locator(".chat-log")).to_contain_text("How many floors")
    expect(cand.locator(".countdown")).to_have_class(re.compile("warning"))
    screenshots(cand, "05-room-candidate-clarifying", full_page=False)

    # The clarifying clock runs out: the server moves the room to design.
    expect(current_phase(cand)).to_have_text("Design", timeout=SLOW_MS)
    expect(current_phase(obs)).to_have_text("Design")
    expect(ask).to_be_disabled()

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
    screenshots(obs, "06-room-observer")

    cand.get_by_role("button", name="Submit solution").click()
    confirm = cand.get_by_role("dialog")
    expect(confirm).to_contain_text("Submit your solution?")
    screenshots(cand, "07-room-candidate-submit-confirm", full_page=False)
    confirm.get_by_role("button", name="Cancel").click()
    expect(current_phase(cand)).to_have_text("Design")

    # The design clock runs out: auto-submit, then the evaluation streams in.
    expect(current_phase(cand)).not_to_have_text("Design", timeout=DESIGN_SECS * 1000 + 5000)
    expect(cand.locator(".eval-stream")).not_to_be_empty(timeout=SLOW_MS)
    expect(current_phase(cand)).to_have_text("Evaluated", timeout=SLOW_MS)
    expect(cand.locator(".score-line .score")).to_have_text(re.compile(r"^\d{1,3}$"))
    expect(cand.locator(".section-notes tbody tr").first).to_be_visible()
    expect(cand.locator(".eval-status")).to_contain_text("Offline rubric evaluator")
    expect(obs.locator(".score-line .score")).to_have_text(
        cand.locator(".score-line .score").inner_text()
    )
    screenshots(cand, "08-evaluation")
    screenshots(obs, "08-evaluation-observer")

    # The private note never reached the candidate, in the page or on the wire.
    assert "probe concurrency" not in cand.content()
    assert not any("note.added" in frame for frame in cand_frames if isinstance(frame, str))
    assert any("solution.submitted" in f and '"timer"' in f for f in cand_frames)

    # History, then the replay.
    cand.get_by_role("link", name="History").click()
    row = cand.locator("tr", has_text="Design a Parking Lot")
    expect(row).to_contain_text("Evaluated")
    expect(row.locator(".score")).to_have_text(re.compile(r"^\d{1,3}$"))
    screenshots(cand, "09-history")
    row.get_by_role("link", name="Replay").click()
    expect(cand.get_by_label("Timeline")).to_be_visible()
    expect(current_phase(cand)).to_have_text("Clarify")
    expect(cand.get_by_label("Functional requirements", exact=True)).to_have_value("")
    cand.locator(".event-log button", has_text="Asked:").click()
    expect(cand.locator(".chat-log .exchange")).to_have_count(1)
    cand.get_by_label("Speed").select_option("60")
    cand.get_by_role("button", name="Play").click()
    expect(cand.get_by_role("button", name="Play again")).to_be_visible(timeout=SLOW_MS)
    expect(current_phase(cand)).to_have_text("Evaluated")
    expect(cand.get_by_label("Entities", exact=True)).to_have_value(DRAFT["Entities"])
    expect(cand.locator(".event-log")).not_to_contain_text("Private note")
    cand.locator(".event-log button", has_text="Hint:").click()
    expect(cand.get_by_label("Timeline")).not_to_have_value("0")
    screenshots(cand, "10-replay")
    obs.goto(f"{app.url}/#/replay/{session_id}")
    expect(obs.locator(".event-log")).to_contain_text("Private note")
    screenshots(obs, "10-replay-observer")

    # Profile and progress.
    cand.get_by_role("link", name="cora").click()
    expect(cand.get_by_role("heading", name="Profile and progress")).to_be_visible()
    cand.get_by_label("Display name").fill("Cora Candidate")
    cand.get_by_role("button", name="Save profile").click()
    expect(cand.locator(".profile-form .form-status")).to_have_text("Saved")
    expect(cand.locator("#nav")).to_contain_text("Cora Candidate")
    screenshots(cand, "11-profile")

    # The same pages at a phone's width, signed in from the same storage.
    phone = contexts(PHONE, storage_state=candidate_context.storage_state()).new_page()
    errors += watch_errors(phone)
    phone.goto(f"{app.url}/#/questions")
    expect(phone.locator(".qcard").first).to_be_visible()
    screenshots(phone, "12-phone-question-bank", full_page=False)
    phone.goto(f"{app.url}/#/room/{session_id}")
    expect(phone.locator(".score-line .score")).to_be_visible()
    screenshots(phone, "13-phone-room")
    phone.goto(f"{app.url}/#/history")
    expect(phone.locator("tr", has_text="Design a Parking Lot")).to_be_visible()
    screenshots(phone, "14-phone-history", full_page=False)
    assert errors == []


def test_a_dropped_connection_resumes_without_reload_and_loses_no_typing(
    app: AppProcess,
    smtp: SmtpServer,
    contexts: Callable[..., BrowserContext],
    screenshots: Shot,
) -> None:
    email = f"rhea.{secrets.token_hex(3)}@example.test"
    page = contexts().new_page()
    errors = watch_errors(page)
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
    assert re.search(r"\?after=\d+$", network["urls"][-1]), network["urls"]

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
