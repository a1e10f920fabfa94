"""Real Postgres and Redis for the suite: embedded from the wheels, or DATABASE_URL / REDIS_URL.

The embedded ones are started by the code `make run` uses (EmbeddedServices), in the suite's own
data directory, so they have generated passwords too and their URLs carry them.

With DATABASE_URL set, the suite creates a fresh database on that server and drops it after.
With REDIS_URL set, the suite uses that Redis database and flushes it first: point it at a
disposable one.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import httpx

from server.operations.embedded import EmbeddedServices, free_port

REPO = Path(__file__).resolve().parents[2]


def _with_database(url: str, name: str) -> str:
    parsed = urlparse(url)
    return urlunparse(parsed._replace(path=f"/{name}"))


@dataclass
class SuiteServers:
    database_url: str
    redis_url: str
    data_dir: Path
    _embedded: EmbeddedServices | None = None
    _admin_url: str | None = None
    _database: str | None = None

    @classmethod
    def start(cls, data_dir: Path) -> SuiteServers:
        external_db, external_redis = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
        embedded = EmbeddedServices(data_dir)
        database_url, redis_url = embedded.ensure(external_db, external_redis)
        servers = cls(database_url, redis_url, data_dir, embedded)
        if external_db:
            servers._create_database(external_db)
        return servers

    def _create_database(self, admin_url: str) -> None:
        import asyncio

        import asyncpg

        name = f"interview_rooms_test_{secrets.token_hex(4)}"

        async def create() -> None:
            conn = await asyncpg.connect(admin_url)
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
            finally:
                await conn.close()

        asyncio.run(create())
        self._admin_url, self._database = admin_url, name
        self.database_url = _with_database(admin_url, name)

    def stop(self) -> None:
        if self._admin_url and self._database:
            import asyncio

            import asyncpg

            async def drop() -> None:
                conn = await asyncpg.connect(self._admin_url)
                try:
                    await conn.execute(f'DROP DATABASE IF EXISTS "{self._database}" WITH (FORCE)')
                finally:
                    await conn.close()

            asyncio.run(drop())
        if self._embedded is not None:
            self._embedded.stop()


@dataclass
class AppProcess:
    """A real `interview-rooms serve` (uvicorn) process on a free port."""

    env: dict[str, str]
    command: str = "serve"
    args: list[str] = field(default_factory=list)
    prefix: list[str] = field(default_factory=list)  # e.g. ["taskset", "-c", "0"]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, log_dir: Path, timeout: float = 30.0) -> AppProcess:
        env = {**os.environ, **self.env, "PORT": str(self.port), "HOST": "127.0.0.1"}
        self.log_path = log_dir / f"{self.command}-{self.port}.log"
        args = [
            *self.prefix,
            sys.executable,
            "-m",
            "server.operations.cli",
            self.command,
            *self.args,
        ]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                args, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO
            )
        if self.command == "serve":
            self._wait_healthy(timeout)
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def rss_bytes(self) -> int:
        """Resident memory of the server process (the one `prefix` execs into)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"app exited early:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"app not healthy in {timeout}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:] if self.log_path else ""

    def stop(self, sig: int = 15) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
