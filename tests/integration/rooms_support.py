"""Building blocks for room tests: a 'process' (its own Redis client, store, service, hub)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import redis.asyncio as aioredis

from domain.tables import InterviewSession, Question, User
from rooms import archive
from rooms.background import Archiver, PresenceSweeper, TimerRunner
from rooms.hub import Hub
from rooms.presence import PresenceBoard
from rooms.service import RoomService
from rooms.store import RoomStore
from server.operations import db


class FakeClock:
    """An injected clock the test moves by hand."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, secs: float) -> None:
        self.now += secs


@dataclass
class Process:
    redis: aioredis.Redis
    clock: FakeClock
    store: RoomStore = field(init=False)
    service: RoomService = field(init=False)
    hub: Hub = field(init=False)
    timers: TimerRunner = field(init=False)
    archiver: Archiver = field(init=False)

    def __post_init__(self) -> None:
        self.store = RoomStore(self.redis)
        self.service = RoomService(
            self.store,
            archive.RulesCache(db.pool),
            archive.SnapshotLoader(db.pool),
            clock=self.clock,
            ledger=archive.SeqLedger(db.pool),
        )
        self.hub = Hub(self.redis, self.store)
        self.timers = TimerRunner(self.service, self.store, clock=self.clock)
        self.archiver = Archiver(self.service, self.store, db.pool, clock=self.clock)
        self.service.durable = self.archiver

    def sweeper_for(self, board: PresenceBoard) -> PresenceSweeper:
        return PresenceSweeper(self.service, self.store, board, clock=self.clock)


async def make_user(role: str = "candidate") -> uuid.UUID:
    user_id = uuid.uuid4()
    now = datetime.now(UTC)
    await User.insert(
        User(
            id=user_id,
            email=f"{user_id.hex[:12]}@example.test",
            name="Tess",
            role=role,
            created_at=now,
            updated_at=now,
        )
    )
    return user_id


async def make_session(user_id: uuid.UUID, slug: str = "parking-lot") -> tuple[str, str]:
    """An interview_sessions row on a bank question; returns (session id, question id)."""
    question = await Question.select(Question.id).where(Question.slug == slug).first()
    assert question is not None
    session_id = uuid.uuid4()
    now = datetime.now(UTC)
    await InterviewSession.insert(
        InterviewSession(
            id=session_id,
            user_id=user_id,
            question_id=question["id"],
            started_at=now,
            updated_at=now,
            status="clarifying",
        )
    )
    return str(session_id), str(question["id"])
