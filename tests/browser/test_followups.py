"""Follow-up questions during design in Chromium (issue 14): the conversation part on its own,
and the whole flow in the room — the candidate asks for a question and gets the bank's probe
about what the draft leaves out, an interviewer asks their own, the candidate answers both.

The room test needs the part mounted in web/js/views/room.js (`parts.followups`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from evaluator.followups import BankProbes
from tests.browser.conftest import LAPTOP
from tests.browser.test_browser import promote, sign_in, stored_auth, watch_errors
from tests.support.servers import AppProcess
from tests.support.smtp import SmtpServer, client_ip

pytestmark = pytest.mark.browser

Shot = Callable[..., Path]
Contexts = Callable[..., BrowserContext]
SLOW_MS = 15_000
URL_PROBES = BankProbes().by_slug["url-shortener"]

# The part alone, with the page's own modules: callbacks record what they were called with.
MOUNT = """async (role) => {
    const config = await (await fetch("/config")).json();
    (await import("/js/vocabulary.js")).useVocabulary(config.vocabulary);
    const { followups } = await import("/js/parts/followups.js");
    window.__calls = [];
    window.__news = [];
    const record = (name) => async (...args) => { window.__calls.push([name, ...args]); };
    const part = followups({ role, onAsk: record("ask"), onRequest: record("request"),
        onAnswer: record("answer"), onNew: (f) => window.__news.push(f.id) });
    document.querySelector("main").replaceChildren(part.el);
    window.__part = part;
}"""


@pytest.fixture
def contexts(browser: Browser) -> Iterator[Contexts]:
    """New browser contexts (separate users), each its own client address for rate limits."""
    opened: list[BrowserContext] = []

    def new(viewport: dict[str, int] = LAPTOP) -> BrowserContext:
        context = browser.new_context(
            viewport=viewport, extra_http_headers={"X-Forwarded-For": client_ip()}
        )
        context.set_default_timeout(10_000)
        opened.append(context)
        return context

    yield new
    for context in opened:
        context.close()


@pytest.fixture
def errors() -> Iterator[list[str]]:
    found: list[str] = []
    yield found
    assert found == []


def state(phase: str, followups: list[dict[str, Any]], requested: float | None = None) -> dict:
    return {"phase": phase, "followups": followups, "followup_requested_at": requested,
            "presence": {}, "names": {"u-ivo": "Ivo"}}  # fmt: skip


def followup(fid: str, origin: str, answer: str | None = None, by: str = "system") -> dict:
    return {"id": fid, "question": f"Question {fid}?", "asked_by": by, "asked_at": 1.0,
            "origin": origin, "trigger": "request", "section": None, "answer": answer,
            "answered_at": None}  # fmt: skip


def update(page: Page, room: dict[str, Any]) -> None:
    page.evaluate("state => window.__part.update(state)", room)


def test_the_part_lets_the_candidate_request_and_answer(
    app: AppProcess, contexts: Contexts, errors: list[str], screenshots: Shot
) -> None:
    page = contexts().new_page()
    watch_errors(page, errors)
    page.goto(app.url + "/")
    page.evaluate(MOUNT, "candidate")
    update(page, state("clarifying", []))
    expect(page.locator(".followups")).to_be_hidden()
    update(page, state("design", []))
    request = page.get_by_role("button", name="Ask me a follow-up question")
    expect(request).to_be_enabled()
    expect(page.locator(".followup-budget")).to_have_text("3 of 3 requests left")
    request.click()
    page.wait_for_function("window.__calls.length === 1")
    update(page, state("design", [], requested=5.0))
    expect(request).to_be_disabled()
    expect(page.locator(".followups")).to_contain_text("thinking of a question")

    update(page, state("design", [followup("f1", "rubric")]))
    assert page.evaluate("window.__news") == ["f1"]
    expect(request).to_be_disabled()  # answer the open one first
    box = page.get_by_label("Your answer to the interviewer")
    box.fill("A cache in front of the store takes the hot codes.")
    update(page, state("design", [followup("f1", "rubric")]))  # a typed answer survives updates
    expect(box).to_have_value("A cache in front of the store takes the hot codes.")
    page.get_by_role("button", name="Send answer").click()
    page.wait_for_function("window.__calls.length === 2")
    assert page.evaluate("window.__calls[1]") == [
        "answer",
        "f1",
        "A cache in front of the store takes the hot codes.",
    ]
    answered = followup("f1", "rubric", "A cache in front of the store takes the hot codes.")
    interviewer = followup("f2", "interviewer", by="u-ivo")
    update(page, state("design", [answered, interviewer]))
    expect(page.locator(".followup-log .exchange").nth(1)).to_contain_text("Interviewer Ivo")
    expect(request).to_be_enabled()  # an interviewer's open question does not block a request
    expect(page.locator(".followup-budget")).to_have_text("2 of 3 requests left")
    screenshots(page, "followups-part-candidate", full_page=False)
    update(page, state("submitted", [answered, interviewer]))
    expect(page.locator(".followup-log .exchange").nth(1)).to_contain_text("Not answered.")
    expect(page.get_by_label("Your answer to the interviewer")).to_have_count(0)
    expect(request).to_be_hidden()


def test_the_part_lets_an_interviewer_ask(
    app: AppProcess, contexts: Contexts, errors: list[str]
) -> None:
    page = contexts().new_page()
    watch_errors(page, errors)
    page.goto(app.url + "/")
    page.evaluate(MOUNT, "observer")
    update(page, state("design", []))
    expect(page.get_by_role("button", name="Ask me a follow-up question")).to_have_count(0)
    page.get_by_label("Ask the candidate a follow-up question").fill("Why 302 and not 301?")
    page.get_by_role("button", name="Ask the candidate").click()
    page.wait_for_function("window.__calls.length === 1")
    assert page.evaluate("window.__calls[0]") == ["ask", "Why 302 and not 301?"]
    update(page, state("design", [followup("f1", "interviewer", by="u-ivo")]))
    assert page.evaluate("window.__news") == []  # their own question is no news to them
    expect(page.locator(".followup-log")).to_contain_text("Waiting for the candidate's answer")


def api(page: Page, base: str, method: str, path: str, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {stored_auth(page)['access_token']}"}
    response = httpx.request(method, base + path, headers=headers, json=body, timeout=10)
    response.raise_for_status()
    return response.json()


def test_asked_about_the_design_while_designing(
    app: AppProcess, smtp: SmtpServer, contexts: Contexts, errors: list[str], screenshots: Shot
) -> None:
    cand, obs = contexts().new_page(), contexts().new_page()
    for page in (cand, obs):
        watch_errors(page, errors)
    tag = secrets.token_hex(3)
    interviewer = f"ivo.{tag}@example.test"
    sign_in(cand, app.url, smtp, f"cora.{tag}@example.test")
    sign_in(obs, app.url, smtp, interviewer)
    promote(app, interviewer, "interviewer")
    started = api(cand, app.url, "POST", "/questions/url-shortener/sessions", {"mode": "untimed"})
    session_id = started["id"]
    api(cand, app.url, "POST", f"/sessions/{session_id}/design")
    cand.goto(f"{app.url}/#/room/{session_id}")
    expect(cand.locator(".connection")).to_have_text("Live")

    cand.get_by_role("button", name="Ask me a follow-up question").click()
    conversation = cand.locator(".followup-log")
    # Nothing is written yet: the first probe, about hot links, is the question.
    expect(conversation).to_contain_text(URL_PROBES[0].question, timeout=SLOW_MS)
    expect(conversation).to_contain_text("Interviewer (from the question's notes)")
    cand.get_by_label("Your answer to the interviewer").fill(
        "Hot codes are served from a Redis cache in front of the key-value store."
    )
    cand.get_by_role("button", name="Send answer").click()
    expect(conversation.locator(".exchange").first).to_contain_text("YouHot codes are served")

    obs.goto(f"{app.url}/#/room/{session_id}")
    expect(obs.locator(".connection")).to_have_text("Live")
    expect(obs.locator(".followup-log")).to_contain_text("Hot codes are served")
    obs.get_by_label("Ask the candidate a follow-up question").fill("Why 302 and not 301?")
    obs.get_by_role("button", name="Ask the candidate").click()
    expect(conversation).to_contain_text("Why 302 and not 301?")
    expect(cand.locator(".notices")).to_contain_text("Why 302 and not 301?")  # out of sight too
    cand.get_by_label("Your answer to the interviewer").fill("302 keeps every click counted.")
    cand.get_by_role("button", name="Send answer").click()
    expect(obs.locator(".followup-log")).to_contain_text("302 keeps every click counted.")
    screenshots(cand, "followups-room-candidate", full_page=False)
    screenshots(obs, "followups-room-interviewer", full_page=False)

    view = api(cand, app.url, "GET", f"/sessions/{session_id}")
    assert [(f["origin"], f["answer"] is not None) for f in view["followups"]] == [
        ("rubric", True),
        ("interviewer", True),
    ]
