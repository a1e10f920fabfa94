"""Postgres side of a room: snapshots, the archived event log, and the rows the log implies
(clarification logs, the submitted solution, the session's status).

Writes are batched across rooms and idempotent (ON CONFLICT), so any process may archive any
room, twice if it must, and a room is flushed at a bounded rate rather than per keystroke.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import msgspec

from domain.clarify import ClarificationRule
from domain.events import SolutionSubmitted
from domain.phases import TERMINAL, Phase
from domain.solution import SOLUTION_SECTIONS
from domain.state import RoomState
from rooms.frames import Snapshot, decode_frame

if TYPE_CHECKING:
    import asyncpg

    from rooms.frames import StoredEvent

log = logging.getLogger("interview_rooms.archive")

# Rules change only when an admin edits a question; a minute of staleness is harmless.
RULES_CACHE_SECS = 60.0

INSERT_EVENT = """
INSERT INTO session_events (id, session_id, seq, type, audience, actor, payload, created_at)
VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6::jsonb, to_timestamp($7))
ON CONFLICT (session_id, seq) DO NOTHING
"""
UPSERT_SNAPSHOT = """
INSERT INTO session_snapshots (id, session_id, seq, state, updated_at)
VALUES (gen_random_uuid(), $1, $2, $3::jsonb, now())
ON CONFLICT (session_id) DO UPDATE SET seq = excluded.seq, state = excluded.state,
    updated_at = now()
WHERE session_snapshots.seq <= excluded.seq
"""
UPDATE_SESSION = """
UPDATE interview_sessions SET status = $2, clarifications_used = $3, last_seq = $4,
    answer_mode = $5, updated_at = now(),
    ended_at = CASE WHEN $6 THEN coalesce(ended_at, now()) ELSE ended_at END
WHERE id = $1 AND last_seq <= $4
"""
UPSERT_CLARIFICATION = """
INSERT INTO clarification_logs (id, session_id, clarification_id, user_question,
    interviewer_response, answered_by, rule_intent, confidence, created_at)
VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7, to_timestamp($8))
ON CONFLICT (session_id, clarification_id) DO UPDATE
SET interviewer_response = excluded.interviewer_response, answered_by = excluded.answered_by,
    rule_intent = excluded.rule_intent, confidence = excluded.confidence
"""
_N = len(SOLUTION_SECTIONS)
INSERT_SOLUTION = f"""
INSERT INTO solutions (id, session_id, {", ".join(SOLUTION_SECTIONS)}, language, submit_reason,
    submitted_at)
VALUES (gen_random_uuid(), $1, {", ".join(f"${i + 2}" for i in range(_N))}, ${_N + 2}, ${_N + 3},
    to_timestamp(${_N + 4}))
ON CONFLICT (session_id) DO NOTHING
"""  # noqa: S608 - the column names are our own constants


SELECT_SNAPSHOT = "SELECT seq, state FROM session_snapshots WHERE session_id = $1"
RESERVE_SEQS = """
UPDATE interview_sessions SET reserved_seq = greatest(reserved_seq, $2) WHERE id = $1
RETURNING reserved_seq
"""
NEW_EPOCH = """
UPDATE interview_sessions SET epoch = epoch + 1,
    reserved_seq = greatest(reserved_seq, last_seq) + $2
WHERE id = $1 RETURNING epoch, reserved_seq
"""
# Undoing a write made ahead of an append that then lost its race (RoomService._append).
UNDO_EVENT = """
DELETE FROM session_events WHERE session_id = $1 AND seq = $2 AND payload = $3::jsonb
"""
UNDO_SNAPSHOT = """
UPDATE session_snapshots SET seq = $3, state = $4::jsonb, updated_at = now()
WHERE session_id = $1 AND seq = $2
"""
UNDO_SESSION = """
UPDATE interview_sessions SET last_seq = $3, status = $4, updated_at = now(),
    ended_at = CASE WHEN $5 THEN ended_at ELSE NULL END
WHERE id = $1 AND last_seq = $2
"""
UNDO_SOLUTION = """
DELETE FROM solutions WHERE session_id = $1 AND submit_reason = $2
    AND submitted_at = to_timestamp($3)
    AND NOT EXISTS (SELECT 1 FROM evaluations WHERE evaluations.solution_id = solutions.id)
"""
SELECT_LIVE = "SELECT id FROM interview_sessions WHERE status = ANY($1::text[])"
# Seqs are reserved in blocks: one Postgres write per this many events of a room.
SEQ_BLOCK = 1000
SELECT_RULES = """
SELECT intent, keywords, response, examples FROM clarification_rules WHERE question_id = $1
ORDER BY position
"""

PoolSource = Callable[[], "asyncpg.Pool"]


class SnapshotLoader:
    """A room's last snapshot in Postgres, for rebuilding a room whose Redis data is gone."""

    def __init__(self, pool: PoolSource) -> None:
        self._pool = pool

    async def __call__(self, session_id: str) -> Snapshot | None:
        async with self._pool().acquire() as conn:
            row = await conn.fetchrow(SELECT_SNAPSHOT, session_id)
        if row is None:
            return None
        return Snapshot(row["seq"], msgspec.json.decode(row["state"], type=RoomState))


class SeqLedger:
    """The room's seq high-water mark in Postgres: no seq is acknowledged past `reserved_seq`,
    so a room rebuilt after Redis lost it continues past every seq anyone was ever told."""

    def __init__(self, pool: PoolSource) -> None:
        self._pool = pool

    async def reserve(self, session_id: str, upto: int) -> int:
        """Raises the reservation to at least `upto`; returns it (0 for an unknown room)."""
        async with self._pool().acquire() as conn:
            reserved = await conn.fetchval(RESERVE_SEQS, session_id, upto)
        return int(reserved or 0)

    async def new_epoch(self, session_id: str) -> tuple[int, int, int] | None:
        """Starts the room's next epoch: (epoch, first seq - 1, reserved), None if unknown."""
        async with self._pool().acquire() as conn:
            row = await conn.fetchrow(NEW_EPOCH, session_id, SEQ_BLOCK)
        if row is None:
            return None
        return int(row["epoch"]), int(row["reserved_seq"]) - SEQ_BLOCK, int(row["reserved_seq"])


async def live_sessions(pool: asyncpg.Pool) -> list[str]:
    """Sessions whose room may still change: what Redis must hold timers and state for."""
    live = sorted(phase.value for phase in Phase if phase not in TERMINAL)
    async with pool.acquire() as conn:
        rows = await conn.fetch(SELECT_LIVE, live)
    return [str(row["id"]) for row in rows]


class RulesCache:
    """Clarification rules by question id, read from Postgres and kept for a minute."""

    def __init__(self, pool: PoolSource) -> None:
        self._pool = pool
        self._cache: dict[str, tuple[float, list[ClarificationRule]]] = {}

    async def __call__(self, question_id: str) -> list[ClarificationRule]:
        hit = self._cache.get(question_id)
        if hit and time.monotonic() - hit[0] < RULES_CACHE_SECS:
            return hit[1]
        async with self._pool().acquire() as conn:
            rows = await conn.fetch(SELECT_RULES, question_id)
        rules = [
            ClarificationRule(
                r["intent"], tuple(r["keywords"] or ()), r["response"], tuple(r["examples"] or ())
            )
            for r in rows
        ]
        self._cache[question_id] = (time.monotonic(), rules)
        return rules


class _Envelope(msgspec.Struct):
    """The fields of a stored frame the archive needs; the rest is not decoded."""

    type: str
    ts: float = 0.0
    actor: str = ""


_envelope = msgspec.json.Decoder(_Envelope)
_CLARIFICATION_EVENTS = ("clarification.asked", "clarification.answered")


def _solution_row(session_id: str, frame: bytes) -> tuple[Any, ...]:
    _, event = decode_frame(frame)
    assert isinstance(event, SolutionSubmitted)
    d = event.draft
    sections = [d.get(name, "") for name in SOLUTION_SECTIONS]
    return (session_id, *sections, d.get("language") or "python", event.reason, event.at)


def _rows(
    session_id: str, stored: list[StoredEvent], state: RoomState
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Event rows, and the clarification and solution rows those events imply."""
    events, solutions, touched = [], [], False
    for item in stored:
        head = _envelope.decode(item.frame)
        events.append(
            (
                session_id,
                item.seq,
                head.type,
                item.audience,
                head.actor,
                item.frame.decode(),
                head.ts,
            )
        )
        touched = touched or head.type in _CLARIFICATION_EVENTS
        if head.type == "solution.submitted":
            solutions.append(_solution_row(session_id, item.frame))
    clarifications = (
        [
            (
                session_id,
                c.id,
                c.question,
                c.answer or "",
                c.answered_by or "",
                c.rule_intent,
                c.confidence,
                c.asked_at,
            )
            for c in state.clarifications
        ]
        if touched
        else []
    )
    return events, clarifications, solutions


async def write(
    pool: asyncpg.Pool, batch: list[tuple[str, int, RoomState, list[StoredEvent]]]
) -> None:
    """Archives each room's events up to its seq, with its snapshot and derived rows."""
    events, snapshots, sessions, clarifications, solutions = [], [], [], [], []
    for session_id, seq, state, stored in batch:
        more_events, more_clarifications, more_solutions = _rows(session_id, stored, state)
        events += more_events
        snapshots.append((session_id, seq, msgspec.json.encode(state).decode()))
        sessions.append(
            (
                session_id,
                state.phase.value,
                len(state.clarifications),
                seq,
                state.answer_mode,
                state.phase in TERMINAL,
            )
        )
        clarifications += more_clarifications
        solutions += more_solutions
    async with pool.acquire() as conn, conn.transaction():
        if events:
            await conn.executemany(INSERT_EVENT, events)
        await conn.executemany(UPSERT_SNAPSHOT, snapshots)
        await conn.executemany(UPDATE_SESSION, sessions)
        if clarifications:
            await conn.executemany(UPSERT_CLARIFICATION, clarifications)
        if solutions:
            await conn.executemany(INSERT_SOLUTION, solutions)


async def undo(
    pool: asyncpg.Pool,
    session_id: str,
    written: list[StoredEvent],
    written_seq: int,
    true_seq: int,
    true_state: RoomState,
) -> None:
    """Takes back rows written ahead of an append that did not happen: its events, the
    snapshot and session row at its seq, and the solution it submitted. A later `write` of
    the true log puts back whatever those rows should hold."""
    async with pool.acquire() as conn, conn.transaction():
        for item in written:
            await conn.execute(UNDO_EVENT, session_id, item.seq, item.frame.decode())
            _, event = decode_frame(item.frame)
            if isinstance(event, SolutionSubmitted):
                await conn.execute(UNDO_SOLUTION, session_id, event.reason, event.at)
        state = msgspec.json.encode(true_state).decode()
        await conn.execute(UNDO_SNAPSHOT, session_id, written_seq, true_seq, state)
        await conn.execute(
            UNDO_SESSION,
            session_id,
            written_seq,
            true_seq,
            true_state.phase.value,
            true_state.phase in TERMINAL,
        )
