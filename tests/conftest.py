"""Suite-wide fixtures: real servers, a migrated and seeded database, a running app."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.jwks import JwksServer
from tests.support.servers import AppProcess, SuiteServers
from tests.support.smtp import SmtpServer

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
GOOGLE_CLIENT_ID = "interview-rooms-test.apps.googleusercontent.com"
# The production default: no test waits the window out (test_refresh_grace.py passes `now`),
# and concurrent local refreshes land well inside it.
TEST_REFRESH_GRACE_SECS = 10.0


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SuiteServers]:
    started = SuiteServers.start(tmp_path_factory.mktemp("data"))
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="session")
async def database(servers: SuiteServers) -> AsyncIterator[str]:
    """A migrated, seeded database with a connection pool in the test loop."""
    import redis.asyncio as aioredis

    from server.operations import db
    from server.operations.seed import seed

    db.configure(servers.database_url)
    os.environ["REDIS_URL"] = servers.redis_url
    async with aioredis.Redis.from_url(servers.redis_url) as redis:
        await redis.flushdb()
    await db.start_pool(max_size=10)
    await db.migrate()
    await seed()
    yield servers.database_url
    await db.close_pool()


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) that keeps every mail the app sends."""
    server = SmtpServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def jwks() -> Iterator[JwksServer]:
    """Google's JWKS endpoint played locally, with RSA keys generated for the suite."""
    server = JwksServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def app_env(
    servers: SuiteServers, database: str, smtp: SmtpServer, jwks: JwksServer
) -> dict[str, str]:
    """The environment every app or worker process of the suite runs with."""
    return {
        "DATABASE_URL": servers.database_url,
        "REDIS_URL": servers.redis_url,
        "DATA_DIR": str(servers.data_dir),
        "ENV": "test",
        "LOG_LEVEL": "info",
        "JWT_SECRET": secrets.token_urlsafe(48),
        "SMTP_HOST": smtp.host,
        "SMTP_PORT": str(smtp.port),
        "SMTP_TLS": "none",
        "GOOGLE_CLIENT_ID": GOOGLE_CLIENT_ID,
        "GOOGLE_JWKS_URL": jwks.url,
        "AUTH_REFRESH_GRACE_SECS": str(TEST_REFRESH_GRACE_SECS),
        # The test client is the app's proxy: each test's X-Forwarded-For is its own client IP.
        "FORWARDED_ALLOW_IPS": "127.0.0.1",
    }


@pytest.fixture(scope="session")
def app(app_env: dict[str, str], artifacts: Path) -> Iterator[AppProcess]:
    process = AppProcess(env=app_env).start(artifacts)
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
async def http(app: AppProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=app.url, timeout=10) as client:
        yield client
