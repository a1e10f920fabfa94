"""The rough edges a new user hits in the room, each reproduced in Chromium (issue 14).

Starting every open question with its defaults, a submit that would silently drop or nearly empty
the answer, a clarification sent twice, long unbroken text widening the page, the feedback's
rendering, and the keyboard: focus after each step, Tab in the code box, notices for a hint or a
new observer, and a live-rooms list that keeps itself current. Screenshots are named `ux-*`.
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
from playwright.sync_api import BrowserContext, Page, ViewportSize, WebSocketRoute, expect

from tests.browser.conftest import LAPTOP, PHONE
from tests.browser.test_browser import contexts, promote, sign_in, stored_auth, watch_errors
from tests.support.servers import AppProcess
from tests.support.smtp import SmtpServer

__all__ = ["contexts"]  # the fixture, shared with test_browser.py
pytestmark = pytest.mark.browser

Shot = Callable[..., Path]
Contexts = Callable[..., BrowserContext]
SLOW_MS = 20_000
LRU = "Design an LRU Cache"
# Text no box may let widen the page: a long URL and a long unbroken token.
LONG_URL = (
    "https://docs.example.org/" + "/".join(["a-rather-long-path-segment"] * 12) + "?q=" + "x" * 80
)
LONG_TOKEN = "sk_live_" + "A1b2C3d4E5f6" * 25


Errors = list[str]


@pytest.fixture
def errors() -> Iterator[Errors]:
    """Uncaught exceptions and console errors of every page a test opened: none, at the end."""
    found: Errors = []
    yield found
    assert found == []


def tag() -> str:
    return secrets.token_hex(3)


def new_user(
    contexts: Contexts,
    app: AppProcess,
    smtp: SmtpServer,
    name: str,
    errors: Errors,
    viewport: dict[str, int] = LAPTOP,
) -> Page:
    page = contexts(viewport).new_page()
    watch_errors(page, errors)
    sign_in(page, app.url, smtp, f"{name}.{tag()}@example.test")
    return page


def bank_card(page: Page, title: str) -> Any:
    return page.locator(".qcard").filter(
        has=page.locator("h2", has_text=re.compile(rf"^{re.escape(title)}$"))
    )


def start(page: Page, base: str, title: str, kind: str, *, untimed: bool = True) -> str:
    """Starts a question from its card in the bank; the room is live."""
    page.goto(f"{base}/#/questions?type={kind}")
    bank_card(page, title).get_by_role("button", name="Start").click()
    if untimed:
        page.get_by_label("Untimed: take as long as you need").check()
    page.get_by_role("dialog").get_by_role("button", name="Start session").click()
    expect(page).to_have_url(re.compile(r"#/room/[0-9a-f-]{36}$"))
    expect(page.locator(".connection")).to_have_text("Live")
    return page.url.rsplit("/", 1)[1]


def api_get(page: Page, base: str, path: str) -> Any:
    headers = {"Authorization": f"Bearer {stored_auth(page)['access_token']}"}
    response = httpx.get(base + path, headers=headers, timeout=10)
    response.raise_for_status()
    return response.json()


def resize(page: Page, size: dict[str, int]) -> None:
    page.set_viewport_size(ViewportSize(width=size["width"], height=size["height"]))


def minutes_seconds(secs: int) -> str:
    return f"{secs // 60}:{secs % 60:02d}"


def section(page: Page, name: str) -> Any:
    return page.locator(f".solution textarea[data-section='{name}']")


def design(page: Page) -> None:
    page.get_by_role("button", name="Done clarifying: start designing").click()
    expect(page.locator(".phasebar li.current")).to_have_text("Design")


# -- 1. Every open question starts with its defaults ----------------------------------------


def test_every_open_question_starts_with_its_defaults(
    app: AppProcess, smtp: SmtpServer, contexts: Contexts, screenshots: Shot, errors: Errors
) -> None:
    """A 60-minute phase used to be pre-filled as 1:00:00, which the field's pattern refused."""
    page = new_user(contexts, app, smtp, "omar", errors)
    bank = api_get(page, app.url, "/questions?limit=100")["items"]
    open_questions = [q for q in bank if not q["is_locked"] and not q["is_coming_soon"]]
    assert any(q["durations"]["design"] >= 3600 for q in open_questions)
    for question in open_questions:
        page.goto(f"{app.url}/#/questions?type={question['type']}")
        bank_card(page, question["title"]).get_by_role("button", name="Start").click()
        dialog = page.get_by_role("dialog")
        for label, phase in (("Clarifying time", "clarifying"), ("Design time", "design")):
            expect(dialog.get_by_label(label)).to_have_value(
                minutes_seconds(question["durations"][phase])
            )
        if question["slug"] == "elevator-system":
            screenshots(page, "ux-01-start-dialog-an-hour", full_page=False)
        dialog.get_by_role("button", name="Start session").click()
        expect(page).to_have_url(re.compile(r"#/room/[0-9a-f-]{36}$"))
        expect(page.locator(".room-title h1")).to_have_text(question["title"])
        expect(page.locator(".connection")).to_have_text("Live")
        expect(page.locator(".countdown-label")).to_have_text("Clarifying time left")
    page.goto(f"{app.url}/#/questions?type=LLD")
    expect(bank_card(page, "Design an Elevator System")).to_contain_text("In progress")


def test_untimed_starts_a_question_with_an_hour_long_phase(
    app: AppProcess, smtp: SmtpServer, contexts: Contexts, errors: Errors
) -> None:
    """Untimed used to do nothing: the hidden, invalid 1:00:00 field blocked the form."""
    page = new_user(contexts, app, smtp, "ula", errors)
    start(page, app.url, "Design a Rate Limiter", "LLD", untimed=True)
    expect(page.locator(".countdown")).to_contain_text("Untimed")


# -- 2 and 3. Submit says what would be lost or empty ---------------------------------------


def test_submit_lists_unsaved_oversized_and_empty_sections(
    app: AppProcess, smtp: SmtpServer, contexts: Contexts, screenshots: Shot, errors: Errors
) -> None:
    page = new_user(contexts, app, smtp, "sami", errors)
    limit = page.evaluate("fetch('/config').then(r => r.json())")["vocabulary"]["limits"][
        "section_chars"
    ]
    start(page, app.url, LRU, "LLD")
    design(page)
    labels = {
        name: page.locator(f".section[data-section='{name}'] .section-head > label").inner_text()
        for name in ("functional_req", "entities", "code", "extra")
    }
    section(page, "entities").fill("Cache, Node")
    expect(page.locator(".save-summary")).to_have_text("All changes saved")
    expect(page.locator(".section[data-section='entities'] .char-count")).to_be_hidden()

    # Nearly empty: the confirmation names the empty sections.
    page.get_by_role("button", name="Submit solution").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("almost empty")
    empty = dialog.locator(".empty-sections li")
    expect(empty.first).to_be_visible()
    shown_empty = empty.all_inner_texts()
    assert labels["functional_req"] in shown_empty and labels["extra"] in shown_empty
    assert labels["entities"] not in shown_empty
    screenshots(page, "ux-02-submit-almost-empty", full_page=False)
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("button", name="Submit solution")).to_be_focused()

    # Near the limit the box counts; over it, the section cannot be saved and submit says so.
    code = section(page, "code")
    counter = page.locator(".section[data-section='code'] .char-count")
    code.fill("#" * (limit - 500))
    expect(counter).to_be_visible()
    expect(counter).to_have_text(f"{limit - 500:,} / {limit:,} characters")
    code.fill("#" * (limit + 25))
    expect(counter).to_contain_text(f"{limit + 25:,} / {limit:,} characters: 25 over the limit")
    expect(page.locator(".section[data-section='code'] .save-state")).to_contain_text("Not saved")
    expect(page.locator(".save-summary")).to_have_text("Some text could not be saved")
    page.get_by_role("button", name="Submit solution").click()
    unsaved = dialog.locator(".unsaved-sections li")
    expect(unsaved).to_have_count(1)
    expect(unsaved).to_contain_text(labels["code"])
    expect(unsaved).to_contain_text("25 characters over the limit")
    expect(dialog.get_by_role("button", name="Submit anyway")).to_be_visible()
    screenshots(page, "ux-03-submit-unsaved-section", full_page=False)
    dialog.get_by_role("button", name="Cancel").click()

    # Filled in and back under the limit: the plain confirmation. The other sections go first:
    # a refusal of the long text still on its way would mark the fixed text unsaved (DraftBuffer
    # records an error for a text the box no longer holds).
    for name, text in (
        ("functional_req", "get_value(key) returns the value and marks it most recently used."),
        ("non_functional_req", "O(1) get and put; thread-safe with one lock per shard."),
        ("classes_and_relationships", "LRUCache owns a dict and a doubly linked list of Nodes."),
        ("apis", "get_value(key) -> value | None\nput_value(key, value) -> None"),
        ("extra", "A sharded cache cuts lock contention; TTLs expire lazily on read."),
    ):
        section(page, name).fill(text)
    expect(page.locator(".section[data-section='extra'] .save-state")).to_have_text("Saved")
    code.fill("class LRUCache:\n    def get_value(self, key): ...")
    expect(page.locator(".save-summary")).to_have_text("All changes saved")
    expect(counter).to_be_hidden()
    page.get_by_role("button", name="Submit solution").click()
    expect(dialog).to_contain_text("Submit your solution?")
    expect(dialog.get_by_role("button", name="Submit", exact=True)).to_be_visible()
    expect(dialog.locator(".warning, .unsaved-sections, .empty-sections")).to_have_count(0)
    dialog.get_by_role("button", name="Cancel").click()


# -- 4. One clarification per question ------------------------------------------------------


def test_enter_pressed_twice_asks_one_clarification(
    app: AppProcess, smtp: SmtpServer, contexts: Contexts, errors: Errors
) -> None:
    """The room's answer is held back, as on a slow network, while Enter is pressed twice."""
    page = new_user(contexts, app, smtp, "enzo", errors)
    sent: list[dict[str, Any]] = []
    held: dict[str, Any] = {"on": False, "frames": [], "page": None}

    def route(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()
        held["page"] = ws

        def to_server(message: str | bytes) -> None:
            sent.append(json.loads(message))
            server.send(message)

        def to_page(message: str | bytes) -> None:
            if held["on"]:
                held["frames"].append(message)
            else:
                ws.send(message)

        ws.on_message(to_server)
        server.on_message(to_page)

    page.route_web_socket(re.compile(r"/ws/sessions/"), route)
    start(page, app.url, LRU, "LLD")
    ask = page.get_by_label("Ask a clarifying question")
    button = page.get_by_role("button", name="Ask", exact=True)
    # Near its limit the box counts too.
    limit = page.evaluate("fetch('/config').then(r => r.json())")["vocabulary"]["limits"][
        "text_chars"
    ]
    counter = page.locator(".ask .char-count")
    ask.fill("?" * (limit - 50))
    expect(counter).to_have_text(f"{limit - 50:,} / {limit:,} characters")
    first = "How many entries can the cache hold at most?"
    ask.fill(first)
    expect(counter).to_be_hidden()
    held["on"] = True
    ask.press("Enter")
    ask.press("Enter")
    expect(button).to_be_disabled()
    expect(ask).not_to_be_editable()
    expect(page.locator(".ask .form-status")).to_have_text("Asking…")
    held["on"] = False
    for frame in held["frames"]:
        held["page"].send(frame)

    exchanges = page.locator(".chat-log .exchange")
    expect(exchanges).to_have_count(1)
    expect(exchanges.first.locator(".answer")).not_to_have_class(re.compile("pending"))
    expect(ask).to_be_editable()
    expect(ask).to_be_focused()
    expect(ask).to_have_value("")
    # A second question goes through: every frame sent before it has been seen by then.
    second = "Should entries expire after some time?"
    ask.fill(second)
    ask.press("Enter")
    expect(exchanges).to_have_count(2)
    asked = [frame["question"] for frame in sent if frame.get("type") == "clarify"]
    assert asked == [first, second]
    left = page.locator(".budget").inner_text()
    total = int(left.split(" of ")[1].split()[0])
    assert left == f"{total - 2} of {total} questions left"


# -- 5. Long unbroken text never widens the page --------------------------------------------


def spills(page: Page) -> dict[str, Any]:
    """The page's scroll width against its width, and any box whose content sticks out of it
    (code blocks and text boxes scroll on purpose)."""
    result: dict[str, Any] = page.evaluate(
        """() => {
            const root = document.scrollingElement;
            const boxes = [...document.querySelectorAll("main *")].filter((el) => {
                if (el.closest("pre, textarea, select, .sr-only") || !el.getClientRects().length) {
                    return false;
                }
                return el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0;
            });
            return {scrollWidth: root.scrollWidth, clientWidth: root.clientWidth,
                    boxes: boxes.slice(0, 5).map((el) => `${el.tagName}.${el.className}`)};
        }"""
    )
    return result


def assert_fits(page: Page, where: str) -> None:
    found = spills(page)
    assert found["scrollWidth"] <= found["clientWidth"], (where, found)
    assert found["boxes"] == [], (where, found)


def with_long_description(page: Page) -> None:
    """The question's description as an admin might write it: with a long link and token."""

    def fulfil(route: Any) -> None:
        response = route.fetch()
        view = response.json()
        if "question" in view:
            view["question"]["description"] += f"\n\nSee {LONG_URL} and the key `{LONG_TOKEN}`."
            view["question"]["title"] += f" {LONG_TOKEN[:60]}"
        route.fulfill(response=response, json=view)

    page.route(re.compile(r"/sessions/[0-9a-f-]{36}$"), fulfil)


def test_long_urls_and_tokens_never_widen_the_page(
    app: AppProcess,
    smtp: SmtpServer,
    evaluation_worker: AppProcess,
    contexts: Contexts,
    screenshots: Shot,
    errors: Errors,
) -> None:
    cand = new_user(contexts, app, smtp, "lara", errors)
    interviewer = new_user(contexts, app, smtp, "ines", errors)
    promote(app, stored_auth(interviewer)["user"]["email"], "interviewer")
    for page in (cand, interviewer):
        with_long_description(page)
    session_id = start(cand, app.url, LRU, "LLD")
    interviewer.goto(f"{app.url}/#/room/{session_id}")
    expect(interviewer.locator(".connection")).to_have_text("Live")

    ask = cand.get_by_label("Ask a clarifying question")
    ask.fill(f"Is {LONG_URL} the spec? Keys look like {LONG_TOKEN}.")
    ask.press("Enter")
    expect(cand.locator(".chat-log .exchange .answer").first).not_to_have_class(
        re.compile("pending")
    )
    interviewer.get_by_label("Me, live (falls back after 90 s)").check()
    expect(interviewer.locator(".answer-mode")).to_contain_text("You answer new questions now.")
    ask.fill("Should the cache survive a restart?")
    ask.press("Enter")
    interviewer.get_by_label("Your answer").fill(f"No. Read {LONG_URL} — token {LONG_TOKEN}")
    interviewer.get_by_role("button", name="Send answer").click()
    expect(cand.locator(".chat-log")).to_contain_text("token sk_live_")
    interviewer.get_by_label("Give the candidate a hint").fill(f"Look at {LONG_URL}")
    interviewer.get_by_role("button", name="Send hint").click()
    interviewer.get_by_label("Add a private note").fill(f"Pasted a secret: {LONG_TOKEN}")
    interviewer.get_by_role("button", name="Save note").click()
    expect(interviewer.locator(".note-list")).to_contain_text("Pasted a secret")
    expect(cand.locator(".hints")).to_contain_text("Look at")

    design(cand)
    sections = {
        "functional_req": f"get(key) returns the value and moves the entry to the front "
        f"(most recently used), as {LONG_URL} says.",
        "entities": f"Cache, Node with key {LONG_TOKEN}",
        "apis": f"get(key) -> value; put(key, value) evicts the least recently used; {LONG_URL}",
        "extra": LONG_TOKEN,
    }
    for name, text in sections.items():
        section(cand, name).fill(text)
    expect(cand.locator(".save-summary")).to_have_text("All changes saved")
    expect(section(interviewer, "extra")).to_have_value(LONG_TOKEN)
    for width in (LAPTOP, PHONE):
        for who, page in (("candidate", cand), ("interviewer", interviewer)):
            resize(page, width)
            assert_fits(page, f"{who} designing at {width['width']}px")
    cand.locator(".chat").scroll_into_view_if_needed()
    screenshots(cand, "ux-04-long-text-phone-candidate-chat", full_page=False)
    section(cand, "entities").scroll_into_view_if_needed()
    screenshots(cand, "ux-04-long-text-phone-candidate-solution", full_page=False)
    interviewer.locator(".notes").scroll_into_view_if_needed()
    screenshots(interviewer, "ux-04-long-text-phone-interviewer-notes", full_page=False)

    resize(cand, LAPTOP)
    resize(interviewer, LAPTOP)
    cand.get_by_role("button", name="Submit solution").click()
    cand.get_by_role("dialog").get_by_role("button", name=re.compile("^Submit")).click()
    expect(cand.locator(".phasebar li.current")).to_have_text("Evaluated", timeout=SLOW_MS)
    cand.get_by_role("button", name="Show the evaluator's full write-up").click()
    expect(cand.locator(".eval-stream")).to_be_visible()
    for width in (LAPTOP, PHONE):
        for who, page in (("candidate", cand), ("interviewer", interviewer)):
            resize(page, width)
            assert_fits(page, f"{who} with the evaluation at {width['width']}px")
    cand.locator(".list-strengths").scroll_into_view_if_needed()
    folder = screenshots(cand, "ux-05-long-text-phone-evaluation", full_page=False).parent
    # An element's own shot waits for it to be painted after the scroll.
    cand.locator(".eval-stream").screenshot(path=str(folder / "ux-05-long-text-phone-write-up.png"))
    resize(cand, LAPTOP)
    resize(interviewer, LAPTOP)
    screenshots(cand, "ux-05-long-text-laptop-evaluation")
    screenshots(interviewer, "ux-05-long-text-laptop-interviewer")


# -- 6. Feedback rendering ------------------------------------------------------------------


def test_feedback_rendering_keeps_identifiers_and_the_editors_sections(
    app: AppProcess, contexts: Contexts, errors: Errors
) -> None:
    page = contexts().new_page()
    watch_errors(page, errors)
    page.goto(app.url + "/#/signin")
    found = page.evaluate(
        """async () => {
            const { renderMarkdown } = await import("/js/markdown.js");
            const { useVocabulary, writtenSections } = await import("/js/vocabulary.js");
            const { renderResult } = await import("/js/parts/evaluation.js");
            useVocabulary((await (await fetch("/config")).json()).vocabulary);
            const box = document.createElement("div");
            box.append(renderMarkdown(
                "Call move_to_front and evict_lru; see https://x.org/a_b_c_d. _Really_ *do*.\\n"
                + "- **rate_limit_key**: per user_id"));
            const result = document.createElement("div");
            // Sections in the order a model might write them.
            result.append(...renderResult({score: 40, sections: {
                extra: {score: 10, comment: "Thin."}, code: {score: 50, comment: "Runs."},
                functional_req: {score: 70, comment: "Clear."}}, strengths: ["Clear."]}));
            return {
                html: box.innerHTML,
                text: box.textContent,
                rows: [...result.querySelectorAll(".section-notes tbody th")]
                    .map((th) => th.textContent),
                labels: Object.fromEntries(writtenSections().map((s) => [s.name, s.label])),
            };
        }"""
    )
    assert "move_to_front and evict_lru" in found["text"]
    assert "https://x.org/a_b_c_d" in found["text"]
    assert "user_id" in found["text"] and "rate_limit_key" in found["text"]
    assert found["html"].count("<em>") == 2, found["html"]
    assert "<em>Really</em>" in found["html"] and "<em>do</em>" in found["html"]
    assert "<strong>rate_limit_key</strong>" in found["html"]
    labels = found["labels"]
    assert found["rows"] == [labels["functional_req"], labels["code"], labels["extra"]]


# -- 7. Keyboard, focus and notices ---------------------------------------------------------


def test_focus_follows_the_interview_and_the_code_box_indents(
    app: AppProcess,
    smtp: SmtpServer,
    evaluation_worker: AppProcess,
    contexts: Contexts,
    screenshots: Shot,
    errors: Errors,
) -> None:
    page = new_user(contexts, app, smtp, "kira", errors)
    start(page, app.url, LRU, "LLD")
    page.get_by_role("button", name="Done clarifying: start designing").focus()
    page.keyboard.press("Enter")
    expect(section(page, "functional_req")).to_be_focused()

    code = section(page, "code")
    code.focus()
    expect(page.locator(".code-hint")).to_be_visible()
    expect(page.locator(".code-hint")).to_contain_text("Esc then Tab")
    page.keyboard.type("def get_value(self, key):")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.type("return self.items[key]")
    expect(code).to_be_focused()
    expect(code).to_have_value("def get_value(self, key):\n    return self.items[key]")
    page.keyboard.press("Shift+Tab")
    expect(code).to_have_value("def get_value(self, key):\nreturn self.items[key]")
    page.keyboard.press("Home")
    page.keyboard.press("Tab")
    expect(code).to_have_value("def get_value(self, key):\n    return self.items[key]")
    screenshots(page, "ux-06-code-box-hint", full_page=False)
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    expect(code).not_to_be_focused()
    expect(section(page, "extra")).to_be_focused()

    answer = {
        "functional_req": "- get_value(key) returns the value; a hit calls move_to_front so the "
        "entry becomes the most recently used.\n- put_value(key, value) inserts or updates the "
        "entry; over capacity, evict_lru removes the least recently used entry at the back.",
        "non_functional_req": "- O(1) get and put: hash map lookup plus constant-time list "
        "splicing.\n- Thread-safe: one mutex per shard guards the map and the list together.",
        "entities": "- Hash map key -> node for O(1) lookup.\n- Doubly linked list ordered by "
        "recency: front = most recently used, back = least recently used.",
        "classes_and_relationships": "LRUCache owns the hash map and the doubly linked list; "
        "each Node stores its key so eviction can delete the map entry.",
        "apis": "get_value(key) -> value | None\nput_value(key, value, ttl=None) -> None",
        "extra": "Sharding into 16 caches cuts lock contention; TTL expiry is lazy on read.",
    }
    for name, text in answer.items():
        section(page, name).fill(text)
    expect(page.locator(".save-summary")).to_have_text("All changes saved")
    page.get_by_role("button", name="Submit solution").focus()
    page.keyboard.press("Enter")
    page.get_by_role("dialog").get_by_role("button", name="Submit", exact=True).click()
    expect(page.get_by_role("heading", name="Evaluation")).to_be_focused()

    expect(page.locator(".phasebar li.current")).to_have_text("Evaluated", timeout=SLOW_MS)
    panel = page.locator(".evaluation")
    # Each point once: the streamed write-up folds away under the structured result.
    expect(page.locator(".eval-stream")).to_be_hidden()
    strengths = panel.locator(".list-strengths li").all_inner_texts()
    assert strengths
    visible = panel.inner_text()
    for point in strengths:
        assert visible.count(point) == 1, point
    # The per-section table names and orders the sections as the editor does.
    editor = page.locator(".solution .section-head > label").all_inner_texts()
    editor = [label for label in editor if label != "Language"]
    rows = panel.locator(".section-notes tbody th").all_inner_texts()
    assert rows and all(row in editor for row in rows), (rows, editor)
    assert [editor.index(row) for row in rows] == sorted(editor.index(row) for row in rows)
    # Identifiers the candidate wrote stay literal in the write-up.
    page.get_by_role("button", name="Show the evaluator's full write-up").click()
    stream = page.locator(".eval-stream")
    expect(stream).to_be_visible()
    expect(stream).to_contain_text("get_value")
    assert stream.locator("em").count() == 0
    screenshots(page, "ux-07-evaluation")


def test_notices_for_a_new_observer_and_a_hint_and_a_live_list_that_updates(
    app: AppProcess, smtp: SmtpServer, contexts: Contexts, screenshots: Shot, errors: Errors
) -> None:
    interviewer = new_user(contexts, app, smtp, "ivo", errors)
    promote(app, stored_auth(interviewer)["user"]["email"], "interviewer")
    interviewer.clock.install()
    interviewer.goto(f"{app.url}/#/live")
    expect(interviewer.get_by_role("heading", name="Live rooms")).to_be_visible()

    cand = new_user(contexts, app, smtp, "cleo", errors)
    name = stored_auth(cand)["user"]["public_name"]  # how others see a user without a name
    start(cand, app.url, LRU, "LLD")
    row = interviewer.locator("tr", has_text=name)
    expect(row).to_have_count(0)
    interviewer.clock.run_for(11_000)  # the list asks again every ten seconds
    expect(row).to_be_visible()
    screenshots(interviewer, "ux-08-live-rooms", full_page=False)

    for question in ("How many entries at most?", "Are keys strings?", "Is a TTL needed?"):
        cand.get_by_label("Ask a clarifying question").fill(question)
        cand.get_by_label("Ask a clarifying question").press("Enter")
        expect(cand.locator(".chat-log")).to_contain_text(question)
    expect(cand.locator(".chat-log .answer.pending")).to_have_count(0)
    cand.evaluate("window.scrollTo(0, 0)")

    row.get_by_role("link", name="Watch").click()
    expect(interviewer.locator(".connection")).to_have_text("Live")
    notice = cand.locator(".notices .notice").last
    expect(notice).to_contain_text("joined to watch")
    expect(notice).to_be_in_viewport()
    expect(cand.locator("#announcer")).to_contain_text("joined to watch")

    interviewer.get_by_label("Give the candidate a hint").fill("Think about two threads.")
    interviewer.get_by_role("button", name="Send hint").click()
    notice = cand.locator(".notices .notice", has_text="Think about two threads.")
    expect(notice).to_be_in_viewport()
    expect(cand.locator(".hints")).not_to_be_in_viewport()  # below the fold
    expect(cand.locator("#announcer")).to_contain_text("Think about two threads.")
    screenshots(cand, "ux-09-hint-notice", full_page=False)
    notice.get_by_role("button", name="Show the hint").click()
    expect(cand.locator(".hints")).to_be_in_viewport()
    expect(notice).to_be_hidden()
