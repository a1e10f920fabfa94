"""Clarification indexes are built in worker threads, several at once: stemming is thread-safe."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from domain.clarify import terms

TEXT = (
    "How many concurrent connections, notifications and retries are expected at peak? "
    "Should the generated identifiers be unpredictable, and are deletions supported?"
)


def test_terms_agree_across_threads() -> None:
    expected = terms(TEXT)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: terms(TEXT * 20), range(400)))
    assert all(result == expected * 20 for result in results)
