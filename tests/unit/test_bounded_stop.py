"""A stop is bounded: a teardown step that hangs is left behind and the steps after it still run;
a process whose stop overruns its grace exits 1 by itself."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest

from server.operations.serving import EXIT_ABANDONED, Deadline
from server.operations.teardown import Teardown, cancelled

BUDGET_SECS = 0.3


async def _hang_through_cancellation(stopped: asyncio.Event) -> None:
    """What asyncpg did to the archiver: a cancelled write that never finishes."""
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        await stopped.wait()


def test_a_hung_step_is_left_behind_and_the_pools_still_close(
    caplog: pytest.LogCaptureFixture,
) -> None:
    done: list[str] = []

    async def close(name: str) -> None:
        done.append(name)

    async def broken() -> None:
        raise RuntimeError("the broker was gone")

    async def scenario() -> float:
        loop = asyncio.get_running_loop()
        started = loop.time()
        teardown = Teardown(BUDGET_SECS)
        assert not await teardown.step("room engine", asyncio.Event().wait())
        assert await teardown.step("broker", broken())
        assert await teardown.step("redis", close("redis"))
        assert await teardown.step("database", close("database"))
        return loop.time() - started

    elapsed = asyncio.run(scenario())
    assert done == ["redis", "database"]
    assert BUDGET_SECS <= elapsed < BUDGET_SECS + 0.5
    assert "stopping room engine took over 0.3 s; going on without it" in caplog.text
    assert "stopping broker failed: RuntimeError('the broker was gone')" in caplog.text
    assert "Traceback" not in caplog.text


def test_tasks_left_running_are_waited_for_then_cancelled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario() -> tuple[bool, bool]:
        finishing = asyncio.create_task(asyncio.sleep(0.01))
        lingering = asyncio.create_task(asyncio.Event().wait())
        stuck = asyncio.Event()
        wedged = asyncio.create_task(_hang_through_cancellation(stuck))
        await asyncio.sleep(0)
        await Teardown(BUDGET_SECS).settle("sockets", {finishing, lingering, wedged})
        outcome = finishing.done() and not finishing.cancelled(), lingering.cancelled()
        stuck.set()
        await wedged
        return outcome

    finished, cancelled_ = asyncio.run(scenario())
    assert finished and cancelled_
    assert "1 sockets still running after being cancelled" in caplog.text


def test_cancelled_waits_for_the_task_to_end() -> None:
    async def scenario() -> bool:
        task = asyncio.create_task(asyncio.Event().wait())
        await asyncio.sleep(0)
        await cancelled(task)
        await cancelled(None)
        return task.cancelled()

    assert asyncio.run(scenario())


def test_an_overrun_stop_ends_the_process_with_exit_1(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, "interview_rooms")
    codes: list[int] = []
    exited = threading.Event()

    def fake_exit(code: int) -> None:
        codes.append(code)
        exited.set()

    deadline = Deadline(0.05, exit=fake_exit, flush=lambda: None)
    deadline.arm()
    deadline.arm()  # a second signal does not restart or double the clock
    assert exited.wait(5)
    assert codes == [EXIT_ABANDONED]
    assert "the stop did not finish within 0.05 s; exiting with work still running" in caplog.text
