"""Room fan-out benchmark: R rooms x (1 candidate + K observers) real WebSocket clients.

    python -m tests.perf.bench_rooms --rooms 1000 --observers 2 --rate 1 --seconds 20
    python -m tests.perf.bench_rooms --rooms 200 --observers 2 --search
    python -m tests.perf.bench_rooms --idle 2000

Starts its own embedded Postgres and Valkey and one `interview-rooms serve` process pinned to
core 0; this load generator pins itself to core 1. Each candidate sends `draft` edits of ~200
bytes at a fixed rate; every observer records when each edit arrives. Prints offered and
delivered events/s, latency from send to observer receipt, lost / duplicated / reordered
deliveries, and server memory per idle connection. Not a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import random
import statistics
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import msgspec
from websockets.asyncio.client import ClientConnection, connect

from domain.tables import User
from server.accounts.tokens import Principal, issue_access_token
from server.operations import db
from server.operations.seed import seed
from server.settings import load_settings
from tests.support.servers import AppProcess, SuiteServers

EDIT_BYTES = 200
SLUGS = ["parking-lot", "lru-cache", "elevator-system", "url-shortener", "chat-system"]


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    received: dict[tuple[int, int], int] = field(default_factory=dict)  # (room, edit) -> copies
    reordered: int = 0
    sent: int = 0
    errors: Counter[str] = field(default_factory=Counter)


async def make_accounts(
    env: dict[str, str], rooms: int, observers: int
) -> tuple[list[str], list[str]]:
    settings = load_settings(env)
    now = datetime.now(UTC)

    def new_users(count: int, prefix: str, role: str) -> list[User]:
        return [
            User(
                id=uuid.uuid4(),
                email=f"{prefix}-{uuid.uuid4().hex[:12]}@example.test",
                name=prefix.title(),
                role=role,
                created_at=now,
                updated_at=now,
            )
            for _ in range(count)
        ]

    users, staff = (
        new_users(rooms, "bench", "candidate"),
        new_users(observers, "watch", "interviewer"),
    )
    await User.insert(*users, *staff)

    def token(user: User, role: str) -> str:
        return issue_access_token(settings, Principal(user.id, role, uuid.uuid4())).token

    return [token(u, "candidate") for u in users], [token(u, "interviewer") for u in staff]


async def start_sessions(base: str, tokens: list[str]) -> list[str]:
    limits = httpx.Limits(max_connections=50)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:

        async def start(i: int, token: str) -> str:
            response = await http.post(
                f"/questions/{SLUGS[i % len(SLUGS)]}/sessions",
                json={"mode": "untimed"},
                headers={"Authorization": f"Bearer {token}"},
            )
            response.raise_for_status()
            return str(response.json()["id"])

        return list(await asyncio.gather(*(start(i, t) for i, t in enumerate(tokens))))


async def open_socket(base: str, session_id: str, token: str) -> ClientConnection:
    url = base.replace("http", "ws") + f"/ws/sessions/{session_id}"
    return await connect(
        url,
        subprotocols=["bearer", token],
        max_size=2**20,  # type: ignore[list-item]
        ping_interval=None,
        open_timeout=60,
    )


async def observe(ws: ClientConnection, tally: Tally) -> None:
    last: dict[int, int] = {}
    with contextlib.suppress(Exception):
        async for raw in ws:
            now = time.time()
            frame = msgspec.json.decode(raw)
            if frame.get("type") != "draft.updated":
                continue
            room, edit, sent_at = frame["text"].split(":", 3)[:3]
            key = (int(room), int(edit))
            tally.received[key] = tally.received.get(key, 0) + 1
            tally.latencies.append(now - float(sent_at))
            if last.get(key[0], -1) > key[1]:
                tally.reordered += 1
            last[key[0]] = key[1]


async def candidate(
    ws: ClientConnection, room: int, rate: float, until: float, tally: Tally, run_id: str
) -> None:
    async def drain() -> None:
        with contextlib.suppress(Exception):
            async for raw in ws:
                frame = msgspec.json.decode(raw)
                if frame["type"] == "error":
                    tally.errors[frame["code"]] += 1
                elif frame["type"] == "ack" and frame["seq"] is None:
                    tally.errors["ack_without_event"] += 1
                elif frame["type"] == "ack" and frame["duplicate"]:
                    tally.errors["ack_duplicate"] += 1

    reader = asyncio.create_task(drain())
    await asyncio.sleep(random.uniform(0, 1 / rate))
    edit, next_at = 0, time.monotonic()
    while time.monotonic() < until:
        head = f"{room}:{edit}:{time.time():.6f}:"
        text = head + "x" * (EDIT_BYTES - len(head))
        # Ids are unique across runs: a reused id is (rightly) ignored as a retry.
        command = {"type": "draft", "id": f"{run_id}-{edit}", "section": "apis", "text": text}
        await ws.send(msgspec.json.encode(command).decode())
        tally.sent += 1
        edit += 1
        next_at += 1 / rate
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    await asyncio.sleep(0)
    reader.cancel()


def pct(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=1000)[int(q * 1000) - 1] * 1000
        if len(values) > 2
        else float("nan")
    )


async def run_load(
    base: str,
    sessions: list[str],
    cand_tokens: list[str],
    obs_tokens: list[str],
    rate: float,
    seconds: float,
) -> dict[str, Any]:
    tally = Tally()
    cands = [
        await open_socket(base, sid, tok) for sid, tok in zip(sessions, cand_tokens, strict=True)
    ]
    observers = [await open_socket(base, sid, tok) for sid in sessions for tok in obs_tokens]
    watchers = [asyncio.create_task(observe(ws, tally)) for ws in observers]
    await asyncio.sleep(1.0)  # snapshots delivered, presence settled
    # The generator's own full collections would stall its receipts and count as latency.
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    until = time.monotonic() + seconds
    started = time.monotonic()
    await asyncio.gather(
        *(candidate(ws, i, rate, until, tally, uuid.uuid4().hex[:8]) for i, ws in enumerate(cands))
    )
    elapsed = time.monotonic() - started
    await asyncio.sleep(2.0)  # let the tail arrive
    for ws in [*cands, *observers]:
        await ws.close()
    for task in watchers:
        task.cancel()
    expected = tally.sent * len(obs_tokens)
    delivered = sum(tally.received.values())
    unique = len(tally.received) * 1  # keys are per (room, edit); copies counted per observer
    lost = expected - sum(min(n, len(obs_tokens)) for n in tally.received.values())
    duplicated = sum(max(0, n - len(obs_tokens)) for n in tally.received.values())
    return {
        "rooms": len(sessions),
        "sockets": len(cands) + len(observers),
        "rate_per_room": rate,
        "offered_edits_per_s": round(tally.sent / elapsed, 1),
        "delivered_events_per_s": round(delivered / elapsed, 1),
        "p50_ms": round(pct(tally.latencies, 0.5), 2),
        "p99_ms": round(pct(tally.latencies, 0.99), 2),
        "max_ms": round(max(tally.latencies) * 1000, 2) if tally.latencies else None,
        "errors": dict(tally.errors),
        "lost": lost,
        "duplicated": duplicated,
        "reordered": tally.reordered,
        "edits": unique,
    }


async def idle_cost(
    base: str, app: AppProcess, sessions: list[str], obs_tokens: list[str], count: int
) -> dict[str, Any]:
    before = app.rss_bytes()
    sockets = [
        await open_socket(base, sessions[i % len(sessions)], obs_tokens[i % len(obs_tokens)])
        for i in range(count)
    ]
    await asyncio.sleep(3.0)
    after = app.rss_bytes()
    for ws in sockets:
        await ws.close()
    return {
        "idle_sockets": count,
        "rss_before_mb": round(before / 2**20, 1),
        "rss_after_mb": round(after / 2**20, 1),
        "bytes_per_idle_socket": (after - before) // count,
    }


async def main(args: argparse.Namespace) -> None:
    with contextlib.suppress(OSError):
        os.sched_setaffinity(0, {1})  # the load generator keeps to its own core
    data = Path(tempfile.mkdtemp(prefix="bench-rooms-"))
    servers = SuiteServers.start(data)
    # Postgres and Valkey share core 1 with the load generator: core 0 is the app's alone.
    embedded = servers._embedded
    for server in (embedded.postgres, embedded.valkey) if embedded else ():
        if server.process is not None:
            with contextlib.suppress(OSError):
                os.sched_setaffinity(server.process.pid, {1})
    env = {
        "DATABASE_URL": servers.database_url,
        "REDIS_URL": servers.redis_url,
        "DATA_DIR": str(data),
        "ENV": "test",
        "LOG_LEVEL": "warning",
    }
    db.configure(servers.database_url)
    await db.start_pool(max_size=5)
    await db.migrate()
    await seed()
    app = AppProcess(env=env, prefix=["taskset", "-c", "0"]).start(data)
    try:
        rooms = max(args.rooms, 1)
        cand_tokens, obs_tokens = await make_accounts(env, rooms, args.observers)
        sessions = await start_sessions(app.url, cand_tokens)
        print(
            f"# {rooms} rooms x (1 candidate + {args.observers} observers), one app process",
            flush=True,
        )
        if args.idle:
            print(await idle_cost(app.url, app, sessions, obs_tokens, args.idle), flush=True)
        rates = [1, 2, 5, 8, 10, 12, 15] if args.search else ([args.rate] if args.rate else [])
        for rate in rates:
            result = await run_load(app.url, sessions, cand_tokens, obs_tokens, rate, args.seconds)
            print(result, flush=True)
            if args.search and (result["p99_ms"] > 100 or result["lost"] or result["reordered"]):
                break
    finally:
        app.stop()
        await db.close_pool()
        servers.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rooms", type=int, default=200)
    parser.add_argument("--observers", type=int, default=2, help="observers per room (K)")
    parser.add_argument("--rate", type=float, default=0, help="edits per second per room")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--search", action="store_true", help="raise the rate until p99 > 100 ms")
    parser.add_argument("--idle", type=int, default=0, help="also measure N idle observer sockets")
    asyncio.run(main(parser.parse_args()))
