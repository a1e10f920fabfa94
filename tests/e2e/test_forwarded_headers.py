"""X-Forwarded-For is believed only from the proxies FORWARDED_ALLOW_IPS names: a real
`interview-rooms serve` without it counts every spoofed address as the loopback peer it comes
from (the per-IP sign-in limit stops it), and names the peer in its access log."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis

from server.accounts.otp import OTP_REQUESTS_PER_IP
from server.accounts.ratelimit import limit_key
from tests.support.servers import AppProcess

pytestmark = pytest.mark.e2e

LOOPBACK = "127.0.0.1"


@pytest.fixture
async def loopback_counter(app_env: dict[str, str]) -> AsyncIterator[str]:
    """The per-IP counter of 127.0.0.1, empty before the test and removed after it."""
    key = limit_key(OTP_REQUESTS_PER_IP, LOOPBACK)
    async with aioredis.Redis.from_url(app_env["REDIS_URL"]) as redis:
        await redis.delete(key)
        yield key
        await redis.delete(key)


def serve(app_env: dict[str, str], artifacts: Path, trusted: str | None) -> Iterator[AppProcess]:
    """A real `interview-rooms serve`; FORWARDED_ALLOW_IPS unset, as uvicorn would default it,
    when `trusted` is None."""
    env = {name: value for name, value in app_env.items() if name != "FORWARDED_ALLOW_IPS"}
    if trusted is not None:
        env["FORWARDED_ALLOW_IPS"] = trusted
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("FORWARDED_ALLOW_IPS", raising=False)  # nor from the runner's environment
        process = AppProcess(env=env).start(artifacts)
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def untrusting_app(app_env: dict[str, str], artifacts: Path) -> Iterator[AppProcess]:
    yield from serve(app_env, artifacts, None)


@pytest.fixture(scope="module")
def trusting_app(app_env: dict[str, str], artifacts: Path) -> Iterator[AppProcess]:
    yield from serve(app_env, artifacts, LOOPBACK)


async def spoofed_requests(app: AppProcess) -> tuple[list[int], list[str]]:
    """One more code request than the per-IP limit, each claiming its own X-Forwarded-For."""
    run = secrets.randbelow(200)
    spoofed = [f"192.0.2.{n + 1}, 10.{run}.0.{n + 1}" for n in range(OTP_REQUESTS_PER_IP.max_hits)]
    spoofed.append(f"192.0.2.250, 10.{run}.1.1")
    statuses = []
    async with httpx.AsyncClient(base_url=app.url, timeout=10) as http:
        for claimed in spoofed:
            address = f"xff-{secrets.token_hex(5)}@example.com"
            response = await http.post(
                "/auth/otp/request", json={"email": address}, headers={"X-Forwarded-For": claimed}
            )
            statuses.append(response.status_code)
    # uvicorn reads the list from the right and takes the first address it does not trust:
    # the one the proxy saw, not the one the client claimed at the front.
    return statuses, [claimed.split(", ")[-1] for claimed in spoofed]


def access_lines(app: AppProcess) -> list[str]:
    assert app.log_path is not None
    text = app.log_path.read_text(errors="replace")
    return [line for line in text.splitlines() if '"POST /auth/otp/request HTTP/1.1"' in line]


async def test_without_forwarded_allow_ips_x_forwarded_for_from_loopback_is_ignored(
    untrusting_app: AppProcess, loopback_counter: str
) -> None:
    statuses, claimed = await spoofed_requests(untrusting_app)
    assert statuses == [202] * OTP_REQUESTS_PER_IP.max_hits + [429], "all count as 127.0.0.1"
    lines = access_lines(untrusting_app)
    assert len(lines) == len(claimed)
    assert all(f"{LOOPBACK}:" in line for line in lines), lines
    assert not any(ip in line for ip in claimed for line in lines)


async def test_with_forwarded_allow_ips_the_proxy_s_x_forwarded_for_is_honoured(
    trusting_app: AppProcess, loopback_counter: str, app_env: dict[str, str]
) -> None:
    statuses, claimed = await spoofed_requests(trusting_app)
    assert statuses == [202] * len(claimed), "each forwarded client has its own limit"
    lines = access_lines(trusting_app)
    assert [line.split(" - ")[0].rsplit(" ", 1)[-1] for line in lines] == [
        f"{ip}:0" for ip in claimed
    ]
    async with aioredis.Redis.from_url(app_env["REDIS_URL"]) as redis:
        assert not await redis.exists(loopback_counter), "the proxy itself was never counted"
