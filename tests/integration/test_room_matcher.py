"""The room asks its clarification matcher outside the room's lock: a slow model answering one
question never holds up the candidate's other commands in that room."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import pytest
import redis.asyncio as aioredis

from domain.clarify import ClarificationRule, Match
from domain.commands import Clarify, Draft
from rooms import archive
from rooms.service import RoomService
from server.operations import db
from tests.integration.rooms_support import FakeClock, Process
from tests.integration.test_rooms import new_room
from tests.support.servers import SuiteServers


class HeldMatcher:
    """Answers only when released, as a model that takes its time."""

    def __init__(self) -> None:
        self.asked = asyncio.Event()
        self.release = asyncio.Event()

    async def match(self, question_id: str, text: str, rules: Sequence[ClarificationRule]) -> Match:
        self.asked.set()
        await self.release.wait()
        return Match(rules[0].response, rules[0].intent, 0.9, "model")

    async def prepare(self, question_id: str, rules: Sequence[ClarificationRule]) -> None:
        return None


@pytest.fixture
async def process(servers: SuiteServers, database: str) -> AsyncIterator[Process]:
    client = aioredis.Redis.from_url(servers.redis_url)
    yield Process(client, FakeClock())
    await client.aclose()


async def test_a_draft_is_applied_while_the_matcher_is_still_thinking(process: Process) -> None:
    matcher = HeldMatcher()
    process.service = RoomService(
        process.store,
        archive.RulesCache(db.pool),
        archive.SnapshotLoader(db.pool),
        clock=process.clock,
        matcher=matcher,
    )
    session_id, candidate = await new_room(process)
    asking = asyncio.create_task(
        process.service.execute(session_id, Clarify(question="How do drivers pay?"), candidate)
    )
    await matcher.asked.wait()
    drafted = await asyncio.wait_for(
        process.service.execute(session_id, Draft(section="entities", text="Spot"), candidate), 5
    )
    assert drafted.state.draft["entities"] == "Spot" and not asking.done()
    matcher.release.set()
    answered = await asking
    assert answered.state.clarifications[0].answered_by == "rules"
    assert answered.state.clarifications[0].confidence == 0.9
    assert answered.state.draft["entities"] == "Spot"
