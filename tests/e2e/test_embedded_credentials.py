"""The embedded Postgres and Valkey take no connection without their generated passwords.

Each test starts the real servers from the wheels in a data directory of its own, through the
same code `make run` and the suite use (EmbeddedServices), and plays another local account: it
knows the ports, has no password, and tries to read or flush the data. A data directory made
before the servers had passwords (Postgres `trust`, Valkey without `requirepass`) is built here
the way the old code built it, and must come out upgraded with its data.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest
import redis.asyncio as aioredis
from redis.exceptions import AuthenticationError

from server.operations import pg_cluster
from server.operations.credentials import password_path
from server.operations.embedded import (
    POSTGRES_SYSTEM_USER,
    EmbeddedServerError,
    EmbeddedServices,
    EmbeddedValkey,
    _postgres_modules,
    free_port,
)
from tests.support.redis_server import valkey_executable

pytestmark = pytest.mark.e2e

# A server with a few keys starts and stops in well under a second; this bounds a wedged one.
SERVER_WAIT_SECS = 15.0


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def services(data_dir: Path) -> Iterator[EmbeddedServices]:
    started = EmbeddedServices(data_dir)
    try:
        yield started
    finally:
        started.stop()


def port_of(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


def without_password(url: str) -> str:
    parts = urlsplit(url)
    return parts._replace(netloc=f"{parts.username or ''}@{parts.hostname}:{parts.port}").geturl()


def resp(port: int, *commands: str) -> bytes:
    """Raw replies to inline commands, as any local process could send them."""
    with socket.create_connection(("127.0.0.1", port), 2) as sock:
        sock.sendall("".join(f"{command}\r\n" for command in commands).encode())
        replies = b""
        while replies.count(b"\r\n") < len(commands) and (chunk := sock.recv(4096)):
            replies += chunk
        return replies


async def postgres_refuses(url: str, tmp_path: Path) -> None:
    """No password and a wrong one, over TCP: both refused."""
    no_passfile = tmp_path / "empty.pgpass"
    no_passfile.touch(mode=0o600)
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(without_password(url), passfile=no_passfile)
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(url, password="guessed-password-123")


async def valkey_refuses(url: str) -> None:
    port = port_of(url)
    replies = resp(port, "PING", "FLUSHALL", "KEYS *").split(b"\r\n")
    assert all(reply.startswith(b"-NOAUTH") for reply in replies[:3]), replies
    for attempt in (without_password(url), f"redis://:guessed-password-123@127.0.0.1:{port}/0"):
        with pytest.raises(AuthenticationError):
            async with aioredis.Redis.from_url(attempt) as client:
                await client.ping()


def passwords(data_dir: Path) -> dict[str, str]:
    return {
        name: password_path(data_dir, name).read_text().strip() for name in ("postgres", "valkey")
    }


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


async def test_a_new_data_dir_gets_passwords_that_both_servers_require(
    services: EmbeddedServices, data_dir: Path, tmp_path: Path
) -> None:
    database_url, redis_url = services.ensure(None, None)
    secrets = passwords(data_dir)
    assert {len(value) for value in secrets.values()} == {43}  # 256 random bits each
    assert secrets["postgres"] != secrets["valkey"]
    assert urlsplit(database_url).password == secrets["postgres"]
    assert urlsplit(redis_url).password == secrets["valkey"]

    credentials = password_path(data_dir, "postgres").parent
    assert mode(credentials) == 0o700
    for name in ("postgres", "valkey"):
        assert mode(password_path(data_dir, name)) == 0o600
        assert password_path(data_dir, name).stat().st_uid == os.geteuid()
    for log in ("postgres.log", "valkey.log"):
        assert mode(data_dir / log) == 0o600
    assert mode(data_dir / "valkey") == mode(data_dir / "postgres") == 0o700

    await postgres_refuses(database_url, tmp_path)
    await valkey_refuses(redis_url)

    conn = await asyncpg.connect(database_url)
    try:
        assert await conn.fetchval("SHOW listen_addresses") == "127.0.0.1"
        assert await conn.fetchval("SHOW password_encryption") == "scram-sha-256"
        rules = await conn.fetch("SELECT type, auth_method FROM pg_hba_file_rules")
        assert {rule["auth_method"] for rule in rules} == {"scram-sha-256"}
    finally:
        await conn.close()
    async with aioredis.Redis.from_url(redis_url) as client:
        assert await client.ping()
        assert await client.config_get("bind") == {"bind": "127.0.0.1"}
        assert await client.config_get("protected-mode") == {"protected-mode": "yes"}

    for server in (services.postgres, services.valkey):  # what `ps` shows any local account
        assert server.process is not None
        shown = cmdline(server.process.pid)
        assert not any(value in shown for value in secrets.values()), shown


async def test_the_unix_socket_asks_for_the_password_too(
    services: EmbeddedServices, data_dir: Path
) -> None:
    database_url, _ = services.ensure(None, None)
    socket_dir = data_dir / "postgres"
    port = port_of(database_url)
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(host=str(socket_dir), port=port, user="postgres", password="x")
    password = passwords(data_dir)["postgres"]
    conn = await asyncpg.connect(
        host=str(socket_dir), port=port, user="postgres", password=password
    )
    await conn.close()


async def test_a_second_start_reuses_the_password_and_the_data(
    services: EmbeddedServices, data_dir: Path
) -> None:
    first = services.ensure(None, None)
    async with aioredis.Redis.from_url(first[1]) as client:
        await client.set("kept", "yes")
    reusing = EmbeddedServices(data_dir)
    assert reusing.ensure(None, None) == first, "the running servers, with the same passwords"
    reusing.stop()
    services.stop()

    again = EmbeddedServices(data_dir)
    try:
        database_url, redis_url = again.ensure(None, None)
        assert (urlsplit(database_url).password, urlsplit(redis_url).password) == (
            urlsplit(first[0]).password,
            urlsplit(first[1]).password,
        )
        async with aioredis.Redis.from_url(redis_url) as client:
            assert await client.get("kept") == b"yes"
    finally:
        again.stop()


async def test_deleting_a_password_file_rotates_that_password_at_the_next_start(
    services: EmbeddedServices, data_dir: Path
) -> None:
    old_db, old_redis = services.ensure(None, None)
    conn = await asyncpg.connect(old_db)
    await conn.execute("CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)")
    await conn.close()
    services.stop()
    for name in ("postgres", "valkey"):
        password_path(data_dir, name).unlink()

    rotated = EmbeddedServices(data_dir)
    try:
        database_url, redis_url = rotated.ensure(None, None)
        assert urlsplit(database_url).password != urlsplit(old_db).password
        assert urlsplit(redis_url).password != urlsplit(old_redis).password
        old_password, port = urlsplit(old_db).password, port_of(database_url)
        with pytest.raises(asyncpg.InvalidPasswordError):
            await asyncpg.connect(f"postgresql://postgres:{old_password}@127.0.0.1:{port}/postgres")
        conn = await asyncpg.connect(database_url)
        assert await conn.fetchval("SELECT x FROM kept") == 42
        await conn.close()
        await valkey_refuses(redis_url)
    finally:
        rotated.stop()


# ---- data directories from before the embedded servers had passwords ----


def server_user() -> str | None:
    """Who the old code ran postgres as: itself, or the wheel's account when root."""
    if os.geteuid() != 0:
        return None
    utils = _postgres_modules()[0]
    utils.ensure_user_exists(POSTGRES_SYSTEM_USER)
    return POSTGRES_SYSTEM_USER


def old_postgres_cluster(data_dir: Path) -> tuple[Path, str | None]:
    """A cluster as the old code made it (`initdb --auth=trust`), holding a table."""
    utils, bin_path, initdb = _postgres_modules()
    pgdata, user = data_dir / "postgres", server_user()
    pgdata.mkdir(mode=0o700, parents=True)
    if user is not None:
        owner = utils.ensure_user_exists(user)
        pg_cluster.allow_traversal(pgdata)
        utils.ensure_prefix_permissions(bin_path)
        os.chown(pgdata, owner.pw_uid, owner.pw_gid)
    initdb(["--auth=trust", "--encoding=utf8", "-U", "postgres"], pgdata=pgdata, user=user)
    seeded = subprocess.run(
        [str(bin_path / "postgres"), "--single", "-D", str(pgdata), "postgres"],
        input="CREATE TABLE kept (x int)\nINSERT INTO kept VALUES (42)\n",
        capture_output=True,
        text=True,
        check=True,
        user=user,
    )
    assert "ERROR" not in seeded.stderr, seeded.stderr
    return pgdata, user


def old_valkey(data_dir: Path, *, keep_running: bool) -> subprocess.Popen[bytes]:
    """A Valkey as the old code ran it (no password), holding a key in its append-only file."""
    directory, port = data_dir / "valkey", free_port()
    directory.mkdir(parents=True)
    argv = [valkey_executable(), "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    argv += ["--dir", str(directory), "--appendonly", "yes", "--appendfsync", "always"]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + SERVER_WAIT_SECS
    while resp_or_none(port) is None:
        assert time.monotonic() < deadline and process.poll() is None, "old valkey did not start"
        time.sleep(0.05)
    assert resp(port, "SET kept yes") == b"+OK\r\n"
    (directory / "server.json").write_text(json.dumps({"port": port, "pid": process.pid}))
    if not keep_running:
        resp(port, "SHUTDOWN")
        process.wait(SERVER_WAIT_SECS)
    return process


def resp_or_none(port: int) -> bytes | None:
    try:
        return resp(port, "PING")
    except OSError:
        return None


async def test_an_old_trust_data_dir_is_upgraded_and_keeps_its_data(
    services: EmbeddedServices, data_dir: Path, tmp_path: Path
) -> None:
    old_postgres_cluster(data_dir)
    old_valkey(data_dir, keep_running=False)
    assert not password_path(data_dir, "postgres").parent.exists()

    database_url, redis_url = services.ensure(None, None)

    await postgres_refuses(database_url, tmp_path)
    conn = await asyncpg.connect(database_url.replace("/interview_rooms", "/postgres"))
    try:
        assert await conn.fetchval("SELECT x FROM kept") == 42
        rules = await conn.fetch("SELECT DISTINCT auth_method FROM pg_hba_file_rules")
        assert [rule["auth_method"] for rule in rules] == ["scram-sha-256"], "no trust left"
    finally:
        await conn.close()
    await valkey_refuses(redis_url)
    async with aioredis.Redis.from_url(redis_url) as client:
        assert await client.get("kept") == b"yes"
    assert mode(data_dir / "valkey") == 0o700


def test_a_server_still_running_without_a_password_is_refused_not_reused(data_dir: Path) -> None:
    old = old_valkey(data_dir, keep_running=True)
    try:
        with pytest.raises(EmbeddedServerError, match="stop the interview-rooms process"):
            EmbeddedValkey(data_dir).start()
    finally:
        old.terminate()
        old.wait(SERVER_WAIT_SECS)

    pgdata, user = old_postgres_cluster(data_dir)
    bin_path, port = _postgres_modules()[1], free_port()
    argv = [str(bin_path / "postgres"), "-D", str(pgdata), "-p", str(port), "-k", str(pgdata)]
    argv += ["-c", "listen_addresses=127.0.0.1"]
    trusting = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, user=user
    )
    try:
        deadline = time.monotonic() + SERVER_WAIT_SECS
        while not (pgdata / "postmaster.pid").exists() or not port_accepts(port):
            assert time.monotonic() < deadline and trusting.poll() is None, "old postgres died"
            time.sleep(0.05)
        with pytest.raises(EmbeddedServerError, match="started without the password"):
            EmbeddedServices(data_dir).ensure(None, "redis://unused:1/0")
    finally:
        trusting.terminate()
        trusting.wait(SERVER_WAIT_SECS)


def port_accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), 0.2):
            return True
    except OSError:
        return False


def test_connecting_works_the_way_the_docs_say(services: EmbeddedServices, data_dir: Path) -> None:
    """docs/operations.md: the port from the data directory, the password from its file."""
    services.ensure(None, None)
    secrets = passwords(data_dir)
    pg_port = (data_dir / "postgres" / "postmaster.pid").read_text().splitlines()[3]
    valkey_port = json.loads((data_dir / "valkey" / "server.json").read_text())["port"]
    psql = str(_postgres_modules()[1] / "psql")
    env = {**os.environ, "PGPASSWORD": secrets["postgres"]}
    argv = [psql, "-h", "127.0.0.1", "-p", pg_port, "-U", "postgres"]
    found = subprocess.run(
        [*argv, "-tAc", "SELECT 1", "interview_rooms"], capture_output=True, text=True, env=env
    )
    assert found.stdout.strip() == "1", found.stderr
    cli = str(Path(valkey_executable()).with_name("valkey-cli"))
    env = {**os.environ, "REDISCLI_AUTH": secrets["valkey"]}
    answer = subprocess.run(
        [cli, "-p", str(valkey_port), "PING"], capture_output=True, text=True, env=env
    )
    assert answer.stdout.strip() == "PONG", answer.stderr
