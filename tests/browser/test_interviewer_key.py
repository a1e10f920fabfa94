"""What the interviewer works from and what everyone learns from afterwards, in Chromium.

The answer key beside the interviewer's tools (a suggestion per waiting clarification that fills
the answer box, the time left before the notes answer, the rules, the rubric, the reference
solution after submission), never shown to the candidate or a peer. Screenshots are `key-*`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.test_browser import contexts, promote, sign_in, stored_auth, watch_errors
from tests.support.servers import AppProcess
from tests.support.smtp import SmtpServer

__all__ = ["contexts"]  # the fixture, shared with test_browser.py
pytestmark = pytest.mark.browser

Shot = Callable[..., Path]
Contexts = Callable[..., BrowserContext]
Errors = list[str]
SLOW_MS = 15_000


@pytest.fixture
def errors() -> Iterator[Errors]:
    found: Errors = []
    yield found
    assert found == []


def person(
    contexts: Contexts, app: AppProcess, smtp: SmtpServer, name: str, errors: Errors
) -> Page:
    page = contexts().new_page()
    watch_errors(page, errors)
    sign_in(page, app.url, smtp, f"{name}.{secrets.token_hex(3)}@example.test")
    return page


def email_of(page: Page) -> str:
    return str(api(page, page.url.split("/#", 1)[0], "GET", "/me")["email"])


def call(page: Page, base: str, method: str, path: str, body: Any = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {stored_auth(page)['access_token']}"}
    return httpx.request(method, base + path, headers=headers, json=body, timeout=10)


def api(page: Page, base: str, method: str, path: str, body: Any = None) -> Any:
    response = call(page, base, method, path, body)
    response.raise_for_status()
    return response.json() if response.content else None


def enter(page: Page, base: str, session_id: str) -> None:
    page.goto(f"{base}/#/room/{session_id}")
    expect(page.locator(".connection")).to_have_text("Live")


def test_the_interviewer_answers_from_the_key(
    app: AppProcess, smtp: SmtpServer, contexts: Contexts, screenshots: Shot, errors: Errors
) -> None:
    cand = person(contexts, app, smtp, "kai", errors)
    obs = person(contexts, app, smtp, "ines", errors)
    peer = person(contexts, app, smtp, "pia", errors)
    promote(app, email_of(obs), "interviewer")
    base = app.url
    session_id = api(cand, base, "POST", "/questions/parking-lot/sessions", {"mode": "untimed"})[
        "id"
    ]
    token = api(cand, base, "POST", f"/sessions/{session_id}/invites", {})["token"]
    api(peer, base, "POST", f"/invites/{token}/accept")
    assert call(cand, base, "GET", f"/sessions/{session_id}/answer-key").status_code == 403

    enter(obs, base, session_id)
    key = obs.locator(".answer-key")
    expect(key.get_by_role("heading", name="Answer key")).to_be_visible()
    expect(key.locator(".key-rules-list dt").first).to_be_hidden()  # folded until asked for
    key.get_by_role("heading", name=re.compile(r"Clarification rules \(\d+\)")).click()
    expect(key.locator(".key-rules-list dt").first).to_be_visible()
    key.get_by_role("heading", name="Rubric").click()
    expect(key.locator(".key-rubric h4").first).to_have_text("Functional requirements")
    expect(key).to_contain_text("The reference solution shows here once the candidate submits.")
    obs.get_by_label("Me, live (falls back after 90 s)").check()
    expect(obs.get_by_text("You answer new questions now.")).to_be_visible()

    for page in (cand, peer):
        enter(page, base, session_id)
        expect(page.locator(".chat")).to_be_visible()
        expect(page.locator(".answer-key")).to_have_count(0)

    cand.get_by_label("Ask a clarifying question").fill("How many vehicles enter per hour at peak?")
    cand.get_by_role("button", name="Ask").click()
    suggestion = key.locator(".key-suggestion")
    expect(suggestion).to_contain_text("How many vehicles enter per hour at peak?")
    expect(suggestion.locator(".key-fallback")).to_have_text(
        re.compile(r"The notes answer in 1:[0-3]\d")
    )
    suggested = suggestion.locator(".suggested").inner_text().removeprefix("Suggested").strip()
    assert suggested
    key.get_by_role("heading", name=re.compile("Clarification rules")).click()  # folds again
    key.get_by_role("heading", name="Rubric").click()
    suggestion.scroll_into_view_if_needed()
    screenshots(obs, "key-interviewer-suggestion-view", full_page=False)
    suggestion.get_by_role("button", name="Use this answer").click()
    answer_box = obs.locator(".chat .answer-form textarea")
    expect(answer_box).to_be_focused()
    expect(answer_box).to_have_value(suggested)
    screenshots(obs, "key-interviewer-suggestion")
    obs.locator(".chat").get_by_role("button", name="Send answer").click()
    expect(cand.locator(".chat-log")).to_contain_text(suggested)
    expect(suggestion).to_have_count(0)

    api(cand, base, "POST", f"/sessions/{session_id}/design")
    api(cand, base, "PUT", f"/sessions/{session_id}/solution",
        {"functional_req": "Issue a ticket at entry; charge at exit."})  # fmt: skip
    api(cand, base, "POST", f"/sessions/{session_id}/submit")
    reference = key.locator(".key-reference")
    expect(reference.get_by_role("heading", name="Reference solution")).to_be_visible(
        timeout=SLOW_MS
    )
    expect(reference.locator("h4").first).to_be_visible()
    screenshots(obs, "key-interviewer-reference")
    key.get_by_role("heading", name="Answer key").click()  # it folds away
    expect(reference).to_be_hidden()
    expect(peer.locator(".answer-key")).to_have_count(0)


def test_the_model_answer_after_submitting_and_in_the_replay(
    app: AppProcess, smtp: SmtpServer, contexts: Contexts, screenshots: Shot, errors: Errors
) -> None:
    cand = person(contexts, app, smtp, "mo", errors)
    peer = person(contexts, app, smtp, "pat", errors)
    base = app.url
    session_id = api(cand, base, "POST", "/questions/parking-lot/sessions", {"mode": "untimed"})[
        "id"
    ]
    token = api(cand, base, "POST", f"/sessions/{session_id}/invites", {})["token"]
    api(peer, base, "POST", f"/invites/{token}/accept")
    refused = call(cand, base, "GET", f"/sessions/{session_id}/model-answer")
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "not_submitted")
    api(cand, base, "POST", f"/sessions/{session_id}/design")
    api(cand, base, "PUT", f"/sessions/{session_id}/solution",
        {"functional_req": "Issue a ticket at entry; charge at exit."})  # fmt: skip
    enter(cand, base, session_id)
    enter(peer, base, session_id)
    model = cand.locator(".model-answer")
    expect(model).to_be_hidden()  # still designing

    api(cand, base, "POST", f"/sessions/{session_id}/submit")
    expect(cand.locator(".evaluation")).to_be_visible()
    for page in (cand, peer):
        shown = page.locator(".model-answer")
        expect(shown).to_be_visible()
        expect(shown.locator(".model-section").first).to_be_hidden()  # folded
        shown.get_by_role("heading", name="Model answer").click()
        expect(shown.locator(".model-section").first).to_be_visible()
    sections = api(cand, base, "GET", f"/sessions/{session_id}/model-answer")["sections"]
    assert sections
    expect(model.locator(".model-section h3")).to_have_text([s["label"] for s in sections])
    screenshots(cand, "key-model-answer-room")

    cand.goto(f"{base}/#/replay/{session_id}")
    replayed = cand.locator(".model-answer")
    expect(replayed).to_be_hidden()  # the replay starts at the beginning
    cand.get_by_label("Timeline").fill("100000")
    expect(replayed).to_be_visible()
    replayed.get_by_role("heading", name="Model answer").click()
    expect(replayed.locator(".model-section h3")).to_have_text([s["label"] for s in sections])
    screenshots(cand, "key-model-answer-replay")


HLD_DRAFT = {
    "functional_req": "Shorten a long URL to a 7-character code; redirect a code to its URL.",
    "non_functional_req": "100M new links a month, 10:1 reads to writes, ~4k redirects/s at peak.",
    "entities": "links(code PK, long_url, owner_id, created_at, expires_at) in a key-value store.",
    "classes_and_relationships": "Clients -> load balancer -> stateless API servers -> Redis "
    "cache -> sharded key-value store; a key generation service hands out code ranges.",
    "apis": "POST /links {long_url} -> {code}; GET /{code} -> 302 Location.",
    "code": "Hot codes: Redis in front, LRU. Code generation: base62 ranges per server.",
}


def section_labels(page: Page) -> list[str]:
    return page.locator(".solution .section-head > label").all_inner_texts()


def test_a_high_level_design_is_written_and_scored_in_its_own_sections(
    app: AppProcess,
    smtp: SmtpServer,
    evaluation_worker: AppProcess,
    contexts: Contexts,
    screenshots: Shot,
    errors: Errors,
) -> None:
    cand = person(contexts, app, smtp, "hana", errors)
    base = app.url
    served = httpx.get(base + "/config", timeout=10).json()["vocabulary"]["sections"]
    hld = {s["name"]: s["hld_label"] for s in served if s["name"] != "language"}
    assert hld["entities"] == "Data model" and hld["code"] == "Deep dives"
    session_id = api(cand, base, "POST", "/questions/url-shortener/sessions", {"mode": "untimed"})[
        "id"
    ]
    api(cand, base, "POST", f"/sessions/{session_id}/design")
    enter(cand, base, session_id)

    assert section_labels(cand) == list(hld.values())
    expect(cand.get_by_label("Language")).to_have_count(0)  # deep dives are prose
    data_model = cand.get_by_label("Data model", exact=True)
    expect(data_model).to_have_attribute("placeholder", re.compile("stored records"))
    expect(cand.get_by_label("Deep dives", exact=True)).to_have_attribute(
        "placeholder", re.compile("in depth")
    )
    expect(
        cand.get_by_label("Capacity estimates and non-functional requirements")
    ).to_have_attribute("placeholder", re.compile("Capacity estimates"))
    screenshots(cand, "key-hld-editors", full_page=False)
    for name, text in HLD_DRAFT.items():
        cand.locator(f".solution textarea[data-section='{name}']").fill(text)
    expect(cand.locator(".save-summary")).to_have_text("All changes saved")
    cand.get_by_role("button", name=re.compile("Submit")).first.click()
    cand.get_by_role("dialog").get_by_role("button", name=re.compile("Submit")).click()
    expect(cand.locator(".phasebar li.current")).to_have_text("Evaluated", timeout=SLOW_MS)
    rows = cand.locator(".evaluation .section-notes tbody th").all_inner_texts()
    assert rows and set(rows) <= set(hld.values()), rows
    assert "Data model" in rows
    screenshots(cand, "key-hld-feedback")

    cand.goto(f"{base}/#/replay/{session_id}")
    expect(cand.locator(".event-log")).to_contain_text("Edited Data model")
    assert section_labels(cand) == list(hld.values())
    assert "Classes and relationships" not in cand.locator(".room").inner_text()

    # The LLD names stay for an LLD question.
    lld = api(cand, base, "POST", "/questions/parking-lot/sessions", {"mode": "untimed"})["id"]
    api(cand, base, "POST", f"/sessions/{lld}/design")
    enter(cand, base, lld)
    labels = section_labels(cand)
    assert "Classes and relationships" in labels and "Code" in labels
    expect(cand.get_by_label("Language")).to_be_visible()


LLD_DRAFT = {
    "functional_req": "Assign a compatible free spot and issue a ticket at entry; compute the fee "
    "at exit, take payment and free the spot; show free spots per floor on display boards.",
    "entities": "ParkingLot, Floor, Spot (small/compact/large), Vehicle, Ticket, Gate, Payment.",
    "classes_and_relationships": "ParkingLot has Floors; Floor has Spots; a SpotAllocator "
    "strategy picks a spot under a lock; Ticket refers to Spot and Vehicle; PricingPolicy.",
    "apis": "enter(vehicle) -> Ticket\nexit(ticket) -> Fee\nfree_spots(floor) -> counts",
}


def evaluated(page: Page, base: str, slug: str, draft: dict[str, str]) -> None:
    """A whole session through the API, until its evaluation is stored."""
    session_id = api(page, base, "POST", f"/questions/{slug}/sessions", {"mode": "untimed"})["id"]
    api(page, base, "POST", f"/sessions/{session_id}/design")
    api(page, base, "PUT", f"/sessions/{session_id}/solution", draft)
    api(page, base, "POST", f"/sessions/{session_id}/submit")
    for _ in range(150):
        if api(page, base, "GET", f"/sessions/{session_id}")["phase"] == "evaluated":
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"{slug} was not evaluated")


def test_progress_over_time_as_a_picture(
    app: AppProcess,
    smtp: SmtpServer,
    evaluation_worker: AppProcess,
    contexts: Contexts,
    screenshots: Shot,
    errors: Errors,
) -> None:
    page = person(contexts, app, smtp, "lea", errors)
    base = app.url
    page.goto(f"{base}/#/profile")
    panel = page.locator(".progress-chart")
    expect(panel.get_by_role("heading", name="Progress over time")).to_be_visible()
    expect(panel).to_contain_text("No evaluated sessions yet")
    expect(panel.locator("svg")).to_have_count(0)

    evaluated(page, base, "parking-lot", LLD_DRAFT)
    evaluated(page, base, "url-shortener", HLD_DRAFT)
    counted = [s for s in api(page, base, "GET", "/sessions?limit=100") if s["counted"]]
    assert len(counted) == 2, counted
    page.reload()
    scores = panel.get_by_role("img", name=re.compile("^Score per session over time"))
    expect(scores).to_be_visible()
    expect(scores.locator("circle")).to_have_count(2)
    assert "2 evaluated sessions" in (scores.locator("desc").text_content() or "")
    table = panel.locator("table.chart-numbers").first
    oldest_first = sorted(counted, key=lambda s: s["ended_at"] or s["started_at"])
    expect(table.locator("tbody th")).to_have_text([s["question_title"] for s in oldest_first])
    expect(table.locator("tbody td:last-child")).to_have_text(
        [str(s["score"]) for s in oldest_first]
    )

    topics = api(page, base, "GET", "/me/stats")["topic_scores"]
    if topics:  # the bars follow the stats' topics
        bars = panel.get_by_role("img", name=re.compile("^Average score per topic"))
        expect(bars.locator(".chart-fill")).to_have_count(len(topics))
        expect(panel.locator("table.chart-numbers").nth(1).locator("tbody tr")).to_have_count(
            len(topics)
        )
    screenshots(page, "key-progress-chart")
