"""Benchmark of the evaluation pipeline (prints figures; not a pass/fail test).

    .venv/bin/python -m tests.perf.bench_evaluation [--latency-runs 200] [--concurrent 150]

Real embedded Postgres and Valkey, the app's own `AppContext` in this process (room engine, the
submit hook, the taskiq broker), one `interview-rooms worker --workers 1` subprocess, and the
local OpenAI-compatible server from the tests.

1. Overhead: submit -> first `evaluation.delta`, with a model that answers at once, one
   submission at a time. Measured two ways: from the `solution.submitted` event's timestamp to
   the first delta's (both stamped by the process that appended them), and as a client sees it:
   from just before the submit call to the delta arriving on a blocking XREAD of the room log.
2. Concurrency: many submissions at once with a model that takes 2 s before it answers; the
   model server counts how many requests the one worker process has in flight at the peak.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import platform
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import redis.asyncio as aioredis

from domain.commands import Actor, Advance, Draft, Role, Submit
from domain.tables import User
from rooms import keys
from server.context import AppContext
from server.operations import db
from server.operations.seed import seed
from server.sessions.service import Viewer
from server.settings import load_settings
from tests.support.fake_openai import FakeOpenAI, Reply
from tests.support.servers import SuiteServers
from tests.support.workers import start_worker

SLOW_MODEL_SECS = 2.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def summary(name: str, millis: list[float]) -> str:
    return (
        f"{name}: n={len(millis)} p50={percentile(millis, 50):.1f} ms "
        f"p95={percentile(millis, 95):.1f} ms p99={percentile(millis, 99):.1f} ms "
        f"max={max(millis):.1f} ms mean={statistics.fmean(millis):.1f} ms"
    )


async def new_session(ctx: AppContext, marker: str) -> tuple[str, Actor]:
    user_id, now = uuid.uuid4(), datetime.now(UTC)
    await User.insert(
        User(
            id=user_id,
            email=f"{user_id.hex[:12]}@bench.test",
            name="Bench",
            role="candidate",
            created_at=now,
            updated_at=now,
        )
    )
    _, row = await ctx.sessions.start(Viewer(user_id, "candidate"), "lru-cache", "untimed", None)
    session_id, actor = str(row["id"]), Actor(user_id=str(user_id), role=Role.CANDIDATE)
    await ctx.rooms.execute(session_id, Advance(to="design"), actor)
    await ctx.rooms.execute(
        session_id, Draft(section="code", text=f"class LRU: ...  {marker}"), actor
    )
    return session_id, actor


async def first_delta(redis: aioredis.Redis, session_id: str, after: int) -> tuple[float, dict]:
    """Blocks on the room's log until the first evaluation.delta; (arrival time, its frame)."""
    last = f"{after}-0"
    while True:
        reply = await redis.xread({keys.log(session_id): last}, block=10_000)
        for _, entries in reply:
            for entry_id, fields in entries:
                last = entry_id
                frame = msgspec.json.decode(fields[b"f"])
                if frame["type"] == "evaluation.delta":
                    return time.perf_counter(), frame


async def submitted_ts(ctx: AppContext, session_id: str) -> float:
    for item in await ctx.store.read(session_id, 0):
        frame = msgspec.json.decode(item.frame)
        if frame["type"] == "solution.submitted":
            return float(frame["ts"])
    raise AssertionError("no solution.submitted event")


async def measure_overhead(ctx: AppContext, fake: FakeOpenAI, runs: int) -> None:
    marker = fake.script("bench-fast", Reply(chunk_chars=64))
    event_ms, client_ms = [], []
    for _ in range(runs):
        session_id, actor = await new_session(ctx, marker)
        seq, _ = await ctx.rooms.state(session_id)
        started = time.perf_counter()
        await ctx.rooms.execute(session_id, Submit(), actor)
        arrived, frame = await first_delta(ctx.redis, session_id, seq)
        client_ms.append((arrived - started) * 1000)
        event_ms.append((frame["ts"] - await submitted_ts(ctx, session_id)) * 1000)
    print(summary("submit -> first delta (event timestamps)", event_ms))
    print(summary("submit -> first delta (client view, XREAD)", client_ms))


async def wait_evaluated(ctx: AppContext, session_ids: list[str], limit_secs: float) -> None:
    deadline = time.monotonic() + limit_secs
    pending = set(session_ids)
    while pending and time.monotonic() < deadline:
        for session_id in list(pending):
            _, state = await ctx.rooms.state(session_id)
            if state.phase.value == "evaluated":
                pending.discard(session_id)
        await asyncio.sleep(0.1)
    if pending:
        raise AssertionError(f"{len(pending)} evaluations did not finish")


async def measure_concurrency(ctx: AppContext, fake: FakeOpenAI, count: int) -> None:
    marker = fake.script("bench-slow", Reply(first_byte_delay=SLOW_MODEL_SECS, chunk_chars=64))
    sessions = [await new_session(ctx, marker) for _ in range(count)]
    fake.reset_concurrency()
    started = time.perf_counter()
    await asyncio.gather(*(ctx.rooms.execute(s, Submit(), a) for s, a in sessions))
    await wait_evaluated(ctx, [s for s, _ in sessions], 120)
    wall = time.perf_counter() - started
    print(
        f"{count} submissions at once, model {SLOW_MODEL_SECS:.0f} s, one worker process: "
        f"peak {fake.max_in_flight} model requests in flight, all evaluated in {wall:.2f} s "
        f"({count / wall:.1f} evaluations/s; "
        f"one at a time would take {count * SLOW_MODEL_SECS:.0f} s)"
    )


async def run(servers: SuiteServers, fake: FakeOpenAI, args: argparse.Namespace) -> None:
    env = {
        "DATA_DIR": str(servers.data_dir),
        "DATABASE_URL": servers.database_url,
        "REDIS_URL": servers.redis_url,
        "LOG_LEVEL": "warning",
    }
    settings = load_settings(env)
    db.configure(servers.database_url)
    await db.start_pool(max_size=4)
    await db.migrate()
    await seed()
    await db.close_pool()
    worker_env = {
        **env,
        "OPENAI_API_KEY": "sk-bench",
        "OPENAI_BASE_URL": fake.url,
        "OPENAI_MODEL": "bench",
        "EVALUATION_TIMEOUT_SECS": "60",
    }
    worker = await asyncio.to_thread(start_worker, worker_env, servers.data_dir)
    ctx = AppContext(dataclasses.replace(settings))
    await ctx.start()
    try:
        await measure_overhead(ctx, fake, args.latency_runs)
        await measure_concurrency(ctx, fake, args.concurrent)
    finally:
        await ctx.stop()
        worker.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency-runs", type=int, default=200)
    parser.add_argument("--concurrent", type=int, default=150)
    args = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.pop("DATABASE_URL", None)
        os.environ.pop("REDIS_URL", None)
        servers = SuiteServers.start(Path(tmp))
        fake = FakeOpenAI().start()
        try:
            asyncio.run(run(servers, fake, args))
        finally:
            fake.stop()
            servers.stop()


if __name__ == "__main__":
    main()
