"""Browser fixtures: Debian's Chromium driven by Playwright, screenshots, an evaluation worker.

Playwright's sync API runs its own event loop, so browser tests are plain (sync) tests; the
suite's async fixtures (the database) are already set up by then.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.servers import AppProcess

CHROMIUM = "/usr/bin/chromium"
# Headless in a container: no sandbox (no user namespaces), no GPU, nothing phoning home.
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(
            f"BROWSER TESTS SKIPPED: {CHROMIUM} is missing. `make test` installs it "
            "(tests/setup_browser.py runs apt-get install chromium; needs root and apt)."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def evaluation_worker(app_env: dict[str, str], artifacts: Path) -> Iterator[AppProcess]:
    """A real taskiq worker: the offline rubric evaluator (no OpenAI key in the suite)."""
    env = {**app_env, "OPENAI_API_KEY": ""}
    process = AppProcess(env=env, command="worker").start(artifacts)
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="session")
def screenshots(artifacts: Path) -> Callable[[Any, str], Path]:
    """shot(page, name): a full-page PNG in tests/artifacts/screenshots/, for a human to look at."""
    folder = artifacts / "screenshots"
    folder.mkdir(exist_ok=True)

    def shot(page: Any, name: str, full_page: bool = True) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return shot
