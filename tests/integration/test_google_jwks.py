"""Google's signing keys: cached for their max-age, a rotation picked up, never hammered.

A real HTTP JWKS endpoint (played locally) and the cache on a clock the test moves by hand.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from server.accounts.google import JWKS_REFETCH_MIN_INTERVAL_SECS, JwksCache
from server.errors import GoogleTokenInvalid
from tests.integration.rooms_support import FakeClock
from tests.support.jwks import JwksServer

MAX_AGE_SECS = 3600
# Just past the refetch bound: the earliest an unknown key id may trigger a fetch.
PAST_REFETCH_SECS = JWKS_REFETCH_MIN_INTERVAL_SECS + 0.001


@pytest.fixture(scope="module")
def google() -> Iterator[JwksServer]:
    """A JWKS endpoint of this module's own (the app's is the suite's); each test its cache."""
    server = JwksServer(max_age_secs=MAX_AGE_SECS).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def cache(google: JwksServer, clock: FakeClock) -> JwksCache:
    return JwksCache(google.url, clock=clock)


async def refusal_reason(cache: JwksCache, kid: str) -> str:
    try:
        await cache.key(kid)
    except GoogleTokenInvalid as refused:
        return str(refused.fields.get("reason"))
    raise AssertionError(f"key {kid} was found")


async def test_keys_are_used_for_their_max_age_then_fetched_again(
    google: JwksServer, cache: JwksCache, clock: FakeClock
) -> None:
    kid = google.key.kid
    assert (await cache.key(kid)).key_id == kid
    fetched = google.fetches
    clock.advance(MAX_AGE_SECS - 1)
    for _ in range(3):
        await cache.key(kid)
    assert google.fetches == fetched, "max-age=3600: no refetch"
    clock.advance(1)
    await asyncio.gather(*(cache.key(kid) for _ in range(5)))
    assert google.fetches == fetched + 1, "stale: fetched again, once for all who asked"


async def test_a_rotation_is_picked_up_once_the_refetch_bound_has_passed(
    google: JwksServer, cache: JwksCache, clock: FakeClock
) -> None:
    await cache.key(google.key.kid)
    fetched = google.fetches
    new_key = google.rotate()
    assert await refusal_reason(cache, new_key.kid) == "key", "too soon after the last fetch"
    assert google.fetches == fetched
    clock.advance(PAST_REFETCH_SECS)
    assert (await cache.key(new_key.kid)).key_id == new_key.kid
    assert google.fetches == fetched + 1


async def test_unknown_key_ids_cannot_make_the_server_hammer_the_jwks(
    google: JwksServer, cache: JwksCache, clock: FakeClock
) -> None:
    await cache.key(google.key.kid)
    fetched = google.fetches
    clock.advance(PAST_REFETCH_SECS)
    strangers = [f"forged-{n}" for n in range(5)]  # key ids no key was published under
    reasons = await asyncio.gather(*(refusal_reason(cache, kid) for kid in strangers))
    assert reasons == ["key"] * len(strangers)
    assert google.fetches == fetched + 1, "five forged key ids at once: one refetch"
    clock.advance(JWKS_REFETCH_MIN_INTERVAL_SECS / 2)
    assert await refusal_reason(cache, strangers[0]) == "key"
    assert google.fetches == fetched + 1, "and none again within the bound"
