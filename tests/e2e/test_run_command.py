"""`interview-rooms run` (what `make run` runs) as a new user meets it: embedded servers from the
wheels, migrations, the question bank, app and worker; Ctrl-C stops all of it; data is kept."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from server.operations.embedded import free_port
from tests.support.servers import REPO

pytestmark = pytest.mark.e2e


def _start(data_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update({"DATA_DIR": str(data_dir), "PORT": str(port), "LOG_LEVEL": "info"})
    with log.open("ab") as out:
        return subprocess.Popen(  # a session of its own, as a terminal's Ctrl-C would see it
            [sys.executable, "-m", "server.operations.cli", "run"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO,
            start_new_session=True,
        )


def _healthy(port: int, process: subprocess.Popen[bytes], log: Path) -> dict[str, object]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
            body: dict[str, object] = response.json()
            if response.status_code == 200 and body["broker"]["consumers"] >= 1:  # type: ignore[index]
                return body
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.3)
    raise AssertionError(f"not healthy within 60 s:\n{log.read_text()[-3000:]}")


def _ctrl_c(process: subprocess.Popen[bytes]) -> int:
    os.killpg(process.pid, signal.SIGINT)
    return process.wait(60)


def _servers_of(data_dir: Path) -> list[str]:
    """Processes still running with this data directory on their command line."""
    found = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True)
    return [line for line in found.stdout.splitlines() if str(data_dir) in line]


def test_run_serves_then_ctrl_c_stops_everything_and_data_survives(tmp_path: Path) -> None:
    data_dir, port, log = tmp_path / "data", free_port(), tmp_path / "run.log"
    first = _start(data_dir, port, log)
    try:
        health = _healthy(port, first, log)
        assert {health[part]["status"] for part in ("database", "redis", "broker")} == {"ok"}  # type: ignore[index]
        questions = httpx.get(f"http://127.0.0.1:{port}/questions", params={"limit": 100}).json()
        assert len(questions["items"]) >= 24
        edited = httpx.get(f"http://127.0.0.1:{port}/questions/lru-cache").json()["id"]
    finally:
        code = _ctrl_c(first)
    assert code == 0, log.read_text()[-3000:]
    assert _servers_of(data_dir) == [], "no postgres, valkey, app or worker left behind"

    second = _start(data_dir, port, log)
    try:
        _healthy(port, second, log)
        again = httpx.get(f"http://127.0.0.1:{port}/questions/lru-cache").json()["id"]
        assert again == edited, "the same database, kept across restarts"
    finally:
        assert _ctrl_c(second) == 0
    assert _servers_of(data_dir) == []
    assert "question bank: 0 created" in log.read_text()
    passwords = [
        (data_dir / "credentials" / f"{name}_password").read_text().strip()
        for name in ("postgres", "valkey")
    ]
    assert not [secret for secret in passwords if secret in log.read_text()], "no password logged"
    assert "redis://:[redacted]@127.0.0.1:" in log.read_text()


def _app_pid(run: subprocess.Popen[bytes]) -> int | None:
    """The `serve` child of this `run` (its children only, never another process's)."""
    children = Path(f"/proc/{run.pid}/task/{run.pid}/children").read_text().split()
    for pid in children:
        with contextlib.suppress(OSError):
            if b"serve" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0"):
                return int(pid)
    return None


def _restarted(run: subprocess.Popen[bytes], old: int, port: int, log: Path) -> int:
    """Waits for a new app process of `run` to answer /health; its pid."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pid = _app_pid(run)
        if pid not in (None, old):
            _healthy(port, run, log)
            assert _app_pid(run) == pid, "the new app answers, and it is the only one"
            return pid
        time.sleep(0.1)
    raise AssertionError(f"the app was not restarted:\n{log.read_text()[-3000:]}")


def test_run_restarts_a_killed_app_with_back_off_and_ctrl_c_still_stops_everything(
    tmp_path: Path,
) -> None:
    data_dir, port, log = tmp_path / "data", free_port(), tmp_path / "run.log"
    run = _start(data_dir, port, log)
    try:
        _healthy(port, run, log)
        first = _app_pid(run)
        assert first is not None
        os.kill(first, signal.SIGKILL)
        second = _restarted(run, first, port, log)
        os.kill(second, signal.SIGKILL)  # again within the minute: the delay doubles
        third = _restarted(run, second, port, log)
        text = log.read_text()
    finally:
        code = _ctrl_c(run)
    assert code == 0, log.read_text()[-3000:]
    assert re.search(
        rf"app \(pid {first}\) exited with code -9 \(SIGKILL\) after [\d.]+ s; restarting in 1 s",
        text,
    )
    assert f"app restarted (pid {second}, restart 1)" in text
    assert re.search(rf"app \(pid {second}\) exited with code -9 .*; restarting in 2 s", text)
    assert f"app restarted (pid {third}, restart 2)" in text
    assert _servers_of(data_dir) == [], "no postgres, valkey, app or worker left behind"
