"""Issue 14 in Chromium: an interviewer finds the room they watched, with their notes, in their
history; an empty attempt is listed but marked as not counted; a user leaves the leaderboard;
the bank filters companies as you type and says why a question cannot be started."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, expect

from tests.browser.test_browser import contexts, promote, sign_in, stored_auth, watch_errors
from tests.support.servers import AppProcess
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.browser
__all__ = ["contexts"]  # the fixture, shared with test_browser.py

Shot = Callable[..., Path]
EVALUATION_SECS = 30


def cli_token(app: AppProcess, email: str) -> str:
    """An access token for a new account, as an operator's script gets one."""
    done = subprocess.run(
        [sys.executable, "-m", "server.operations.cli", "users", "token", email, "--create"],
        env={**os.environ, **app.env},
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip().splitlines()[-1]


def api(app: AppProcess, token: str) -> httpx.Client:
    return httpx.Client(base_url=app.url, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_an_interviewer_finds_the_room_they_watched_with_their_notes_in_history(
    app: AppProcess, smtp: SmtpServer, contexts: Callable[..., BrowserContext], screenshots: Shot
) -> None:
    tag = secrets.token_hex(3)
    candidate_name = f"Cleo {tag}"
    with api(app, cli_token(app, f"cleo.{tag}@example.test")) as candidate:
        assert candidate.patch("/me", json={"name": candidate_name}).status_code == 200
        started = candidate.post("/questions/url-shortener/sessions", json={"mode": "untimed"})
        assert started.status_code == 201, started.text
    session_id = started.json()["id"]

    page = contexts().new_page()
    errors: list[str] = []
    watch_errors(page, errors)
    email = f"ivan.{tag}@example.test"
    sign_in(page, app.url, smtp, email)
    promote(app, email, "interviewer")
    page.goto(f"{app.url}/#/live")
    row = page.locator("tr", has_text=candidate_name)
    row.get_by_role("link", name="Watch").click()
    expect(page).to_have_url(re.compile(rf"#/room/{session_id}$"))
    expect(page.locator(".connection")).to_have_text("Live")
    with api(app, stored_auth(page)["access_token"]) as interviewer:
        for text in ("Starts with the redirect path", "Forgot custom aliases"):
            assert interviewer.post(f"/sessions/{session_id}/notes", json={"text": text}).is_success

    page.get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", name="My sessions")).to_be_visible()
    expect(page.locator(".history > .panel")).to_contain_text("No sessions yet")
    observed = page.get_by_role("region", name="Rooms I observed")
    watched = observed.locator("tr", has_text=candidate_name)
    expect(watched).to_contain_text("Design a URL Shortener")
    expect(watched).to_contain_text("Interviewer")
    notes = watched.locator("details.observer-notes")
    expect(notes.locator("summary")).to_have_text("2 notes")
    expect(notes.locator("li").first).not_to_be_visible()
    notes.locator("summary").click()
    expect(notes.locator("li")).to_have_count(2)
    expect(notes.locator("li").first).to_contain_text("Starts with the redirect path")
    screenshots(page, "hb-01-history-observed")
    watched.get_by_role("link", name="Replay").click()
    expect(page).to_have_url(re.compile(rf"#/replay/{session_id}$"))
    expect(page.locator(".event-log")).to_contain_text("Private note")
    assert errors == []


def evaluate_empty_attempt(app: AppProcess, token: str, slug: str) -> str:
    """Submits three words on `slug` over the API and waits for the evaluation."""
    with api(app, token) as client:
        started = client.post(f"/questions/{slug}/sessions", json={"mode": "untimed"})
        assert started.status_code in (200, 201), started.text
        session_id: str = started.json()["id"]
        assert client.post(f"/sessions/{session_id}/design").is_success
        assert client.put(f"/sessions/{session_id}/solution", json={"apis": "move(row, col)"})
        assert client.post(f"/sessions/{session_id}/submit").status_code == 202
        deadline = time.monotonic() + EVALUATION_SECS
        while client.get(f"/sessions/{session_id}/evaluation").status_code != 200:
            assert time.monotonic() < deadline, "the evaluation never came"
            time.sleep(0.25)
    return session_id


def test_an_empty_attempt_is_marked_and_a_user_leaves_the_leaderboard(
    app: AppProcess,
    smtp: SmtpServer,
    evaluation_worker: AppProcess,
    contexts: Callable[..., BrowserContext],
    screenshots: Shot,
) -> None:
    page = contexts().new_page()
    errors: list[str] = []
    watch_errors(page, errors)
    email = f"nadia.{secrets.token_hex(3)}@example.test"
    sign_in(page, app.url, smtp, email)
    evaluate_empty_attempt(app, stored_auth(page)["access_token"], "tic-tac-toe")

    page.get_by_role("link", name="History").click()
    row = page.locator("tr", has_text="Tic-Tac-Toe")
    expect(row).to_contain_text("Evaluated")
    expect(row.locator(".badge.not-counted")).to_have_text("Empty attempt · not counted")
    expect(page.locator(".history")).to_contain_text("leave them out")
    screenshots(page, "hb-02-history-empty-attempt", full_page=False)

    page.goto(f"{app.url}/#/profile")
    expect(page.get_by_role("heading", name="Profile and progress")).to_be_visible()
    expect(page.locator(".profile")).to_contain_text("1 empty attempt is not counted here")
    listed = page.get_by_label("Show me on the leaderboard")
    expect(listed).to_be_checked()
    hint = page.locator("#profile-leaderboard-hint")
    expect(hint).to_contain_text("Others see you as “Anonymous candidate ")
    expect(hint).not_to_contain_text(email.split("@")[0])
    for name in page.locator(".leaders .name").all_inner_texts():
        assert "@" not in name
    listed.uncheck()
    expect(page.locator(".leaderboard-setting .form-status")).to_have_text("Saved")
    expect(page.locator(".position")).to_have_text("You are not on the leaderboard.")
    screenshots(page, "hb-03-profile-off-the-leaderboard")
    page.reload()
    expect(page.get_by_label("Show me on the leaderboard")).not_to_be_checked()
    assert errors == []


def first_page(app: AppProcess, **params: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = httpx.get(
        f"{app.url}/questions", params={"limit": "20", **params}, timeout=10
    ).json()["items"]
    return items


def test_the_bank_filters_companies_as_you_type_and_says_why_a_question_is_closed(
    app: AppProcess, smtp: SmtpServer, contexts: Callable[..., BrowserContext], screenshots: Shot
) -> None:
    page = contexts().new_page()
    errors: list[str] = []
    watch_errors(page, errors)
    sign_in(page, app.url, smtp, f"bea.{secrets.token_hex(3)}@example.test")
    cards = page.locator(".qcard")
    expected = first_page(app)
    expect(cards.first.locator("h2")).to_have_text(expected[0]["title"])  # the server's order
    assert expected[0]["difficulty"] == "easy"
    fresh = next(item for item in expected if item["attempts"] == 0)
    expect(page.locator(".qcard", has_text=fresh["title"])).to_contain_text(
        "acceptance · no attempts yet"
    )

    page.get_by_label("Company").press_sequentially("ube", delay=50)  # no Enter, no pick
    with_uber = first_page(app, company="ube")
    expect(cards).to_have_count(len(with_uber))
    for card in cards.all():
        expect(card.locator(".badge.company", has_text="Uber")).to_be_visible()
    assert "company=ube" in page.url
    page.get_by_label("Company").fill("")

    search = page.get_by_label("Search")
    search.fill("Logging Framework")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Locked")
    expect(cards.first.locator(".closed-reason")).to_contain_text("locked it")
    search.fill("Collaborative")
    expect(cards.first.locator(".closed-reason")).to_contain_text("cannot be started yet")
    screenshots(page, "hb-04-bank-closed-reason", full_page=False)
    search.fill("geospatial indexing")  # a topic, in no title or description
    expect(cards).to_have_count(len(first_page(app, q="geospatial indexing")))
    expect(cards.filter(has_text="Design a Ride-Hailing Service")).to_have_count(1)
    assert errors == []
