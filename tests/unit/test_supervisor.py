"""`interview-rooms run` keeps its children running: back-off, give-up and stop rules, driven by a
fake clock and fake processes (no process is started, nothing sleeps)."""

from __future__ import annotations

import itertools
import logging
import re
import signal
import subprocess
from dataclasses import dataclass, field

import pytest

from server.operations.supervisor import Backoff, Process, Supervisor, describe_exit


@pytest.mark.parametrize(
    ("uptimes", "delays"),
    [
        ([0, 0, 0, 0, 0, 0, 0, 0], [1, 2, 4, 8, 16, 30, 30, 30]),  # a crash loop doubles to 30 s
        ([0, 0, 0, 59.9, 0], [1, 2, 4, 8, 16]),  # under a minute up is not healthy
        ([0, 0, 0, 60, 0, 0], [1, 2, 4, 1, 2, 4]),  # a minute up resets the back-off
        ([3600, 3600], [1, 1]),  # a rare crash is restarted after 1 s every time
    ],
)
def test_backoff_doubles_to_its_ceiling_and_resets_after_a_minute_up(
    uptimes: list[float], delays: list[float]
) -> None:
    backoff = Backoff()
    assert [backoff.delay(uptime) for uptime in uptimes] == delays


@pytest.mark.parametrize(
    ("code", "text"),
    [(1, "code 1"), (3, "code 3"), (-9, "code -9 (SIGKILL)"), (-15, "code -15 (SIGTERM)")],
)
def test_an_exit_is_described_with_its_signal(code: int, text: str) -> None:
    assert describe_exit(code) == text


@dataclass
class FakeProcess:
    """A child that exits with `code` once the clock reaches `exits_at` (never if None)."""

    pid: int
    clock: FakeClock
    exits_at: float | None
    code: int
    stops_on_sigterm: bool = True
    signals: list[int] = field(default_factory=list)
    killed: bool = False

    def poll(self) -> int | None:
        if self.killed:
            return -9
        if self.exits_at is not None and self.clock.now >= self.exits_at:
            return self.code
        return None

    def send_signal(self, sig: int) -> None:
        self.signals.append(sig)
        if sig == signal.SIGTERM and self.stops_on_sigterm:
            self.exits_at, self.code = self.clock.now, 0

    def wait(self, timeout: float | None = None) -> int:
        code = self.poll()
        if code is None:
            raise subprocess.TimeoutExpired("fake", timeout or 0)
        return code

    def kill(self) -> None:
        self.killed = True


@dataclass
class FakeClock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, secs: float) -> None:
        self.now += secs


@dataclass
class Children:
    """Spawns fake children: each run of a name lasts what `runs[name]` says next."""

    clock: FakeClock
    runs: dict[str, list[tuple[float | None, int]]]
    spawned: list[tuple[float, str, FakeProcess]] = field(default_factory=list)
    reaped: list[int] = field(default_factory=list)

    def spawn(self, args: list[str]) -> Process:
        name = args[0]
        uptime, code = self.runs[name].pop(0) if self.runs[name] else (None, 0)
        exits_at = None if uptime is None else self.clock.now + uptime
        process = FakeProcess(100 + len(self.spawned), self.clock, exits_at, code)
        self.spawned.append((self.clock.now, name, process))
        return process

    def reap(self, process: Process) -> None:
        self.reaped.append(process.pid)

    def starts(self, name: str) -> list[float]:
        return [at for at, spawned, _ in self.spawned if spawned == name]


def supervise(children: Children, until: float) -> str:
    supervisor = Supervisor(children.spawn, children.reap, children.clock)
    supervisor.start("serve", ["serve"])
    supervisor.start("worker", ["worker"])
    return supervisor.run(lambda: children.clock.now >= until, children.clock.sleep)


def logged_delays(caplog: pytest.LogCaptureFixture, name: str) -> list[float]:
    pattern = re.compile(rf"^{name} \(pid \d+\) exited with .* restarting in (\d+) s$")
    return [
        float(match.group(1))
        for record in caplog.records
        if (match := pattern.match(record.getMessage()))
    ]


def test_a_crash_loop_backs_off_to_30_s_and_the_worker_keeps_running(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, "interview_rooms")
    clock = FakeClock()
    children = Children(clock, {"serve": [(0.5, 1)] * 9, "worker": []})
    assert supervise(children, until=clock.now + 200) == ""

    assert logged_delays(caplog, "serve") == [1, 2, 4, 8, 16, 30, 30, 30, 30]
    starts = children.starts("serve")
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    # Each restart comes after the run (0.5 s) and the delay, seen at the next poll (0.2 s).
    for gap, delay in zip(gaps, [1, 2, 4, 8, 16, 30, 30, 30], strict=False):
        assert delay + 0.5 <= gap < delay + 0.5 + 0.41
    assert children.starts("worker") == [1000.0], "the other child is left alone"
    assert "exited with code 1 after 0.6 s; restarting in 1 s" in caplog.text
    assert "serve restarted (pid 102, restart 1)" in caplog.text
    assert children.reaped[:1] == [100], "what the dead child left behind is ended"


def test_a_child_that_ran_a_minute_is_restarted_after_1_s_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, "interview_rooms")
    clock = FakeClock()
    runs: dict[str, list[tuple[float | None, int]]] = {
        "serve": [(0, -9), (0, -9), (0, -9), (120, -9), (0, -9)],
        "worker": [],
    }
    supervise(Children(clock, runs), until=clock.now + 300)
    assert logged_delays(caplog, "serve") == [1, 2, 4, 1, 2]
    assert "exited with code -9 (SIGKILL)" in caplog.text


def test_a_child_that_cannot_start_at_all_stops_the_run() -> None:
    clock = FakeClock()
    children = Children(clock, {"serve": [(0.3, 3)], "worker": []})
    assert supervise(children, until=clock.now + 60) == "serve could not start (exit code 3)"
    assert children.starts("serve") == [1000.0], "not retried: a taken port stays taken"


def test_a_restarted_child_that_fails_to_start_is_retried_with_back_off(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, "interview_rooms")
    clock = FakeClock()
    runs: dict[str, list[tuple[float | None, int]]] = {
        "serve": [(10, -9), (0.2, 3), (0.2, 3)],
        "worker": [],
    }
    assert supervise(Children(clock, runs), until=clock.now + 30) == ""
    assert logged_delays(caplog, "serve") == [1, 2, 4]


def test_a_stop_during_a_back_off_starts_nothing_and_stops_the_rest() -> None:
    clock = FakeClock()
    children = Children(clock, {"serve": [(1, -9)], "worker": []})
    supervisor = Supervisor(children.spawn, children.reap, clock)
    supervisor.start("serve", ["serve"])
    supervisor.start("worker", ["worker"])
    # The app dies at +1 s; its restart is due at +2 s; the stop comes at +1.5 s.
    assert supervisor.run(lambda: clock.now >= 1001.5, clock.sleep) == ""
    supervisor.stop()
    assert children.starts("serve") == [1000.0]
    serve, worker = children.spawned[0][2], children.spawned[1][2]
    assert serve.signals == [] and worker.signals == [signal.SIGTERM]
    assert sorted(children.reaped) == [100, 100, 101]


def test_a_child_that_ignores_sigterm_is_killed_past_its_grace(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    children = Children(clock, {"serve": [], "worker": []})
    supervisor = Supervisor(children.spawn, children.reap, clock)
    supervisor.start("serve", ["serve"])
    stubborn = children.spawned[0][2]
    stubborn.stops_on_sigterm = False
    supervisor.stop()
    assert stubborn.signals == [signal.SIGTERM] and stubborn.killed
    assert "did not stop in time; killing it" in caplog.text
