"""Building blocks for evaluation tests: submitted rooms, a scripted evaluator, event lists."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from domain.commands import Actor, Advance, Clarify, Draft, Role, Submit
from domain.evaluation import SectionVerdict, Verdict
from evaluator.base import Evaluated, TextSink
from evaluator.errors import EvaluationFailed
from evaluator.prompts import EvaluationInput
from rooms.engine import RoomEngine
from rooms.frames import decode_frame
from tests.integration.rooms_support import make_session, make_user

VERDICT = Verdict(
    score=64,
    sections={"apis": SectionVerdict(60, "Named, no errors.")},
    strengths=["Clear"],
    weaknesses=["Thin APIs"],
    improvement_points=["Add error codes"],
    follow_up_questions=["What if the cache is full?"],
)


async def submitted_room(
    engine: RoomEngine, sections: dict[str, str], slug: str = "lru-cache"
) -> tuple[str, uuid.UUID]:
    """A room on `slug` with one clarification, the sections drafted, and submitted."""
    user = await make_user()
    session_id, question_id = await make_session(user, slug)
    candidate = Actor(user_id=str(user), role=Role.CANDIDATE)
    await engine.rooms.create(session_id, question_id, "untimed", {}, 5, candidate)
    await engine.rooms.execute(session_id, Clarify(question="What is the capacity?"), candidate)
    await engine.rooms.execute(session_id, Advance(to="design"), candidate)
    for section, text in sections.items():
        await engine.rooms.execute(session_id, Draft(section=section, text=text), candidate)
    await engine.rooms.execute(session_id, Submit(), candidate)
    return session_id, user


async def event_types(engine: RoomEngine, session_id: str, after: int = 0) -> list[str]:
    return [event["type"] for event in await events(engine, session_id, after)]


async def events(engine: RoomEngine, session_id: str, after: int = 0) -> list[dict[str, Any]]:
    out = []
    for item in await engine.store.read(session_id, after):
        envelope, event = decode_frame(item.frame)
        tag = event.__struct_config__.tag
        out.append({"seq": envelope["seq"], "type": tag, "event": event})
    return out


class ScriptedEvaluator:
    """Streams the given chunks (pausing between them), then returns VERDICT or fails. Taking
    over a stream (`shown`), it streams what follows the shown text, as the rubric evaluator
    does, or starts over if its chunks do not begin with it."""

    def __init__(
        self,
        chunks: list[str],
        pause_secs: float = 0.0,
        fail_with: str | None = None,
        label: str = "scripted",
    ) -> None:
        self.chunks, self.pause_secs, self.fail_with, self.label = (
            chunks,
            pause_secs,
            fail_with,
            label,
        )
        self.runs = 0
        self.inputs: list[EvaluationInput] = []
        self.shown: list[str] = []

    async def evaluate(
        self, evaluation: EvaluationInput, sink: TextSink, shown: str = ""
    ) -> Evaluated:
        self.runs += 1
        self.inputs.append(evaluation)
        self.shown.append(shown)
        if not "".join(self.chunks).startswith(shown):
            await sink.restart()
            shown = ""
        for chunk in _after(self.chunks, len(shown)):
            await sink.text(chunk)
            await sink.flush()
            await asyncio.sleep(self.pause_secs)
        if self.fail_with:
            raise EvaluationFailed(self.fail_with)
        return Evaluated(VERDICT, "".join(self.chunks))

    async def close(self) -> None:
        return None


def _after(chunks: list[str], skip: int) -> list[str]:
    """The chunks that follow the first `skip` characters of their text."""
    rest = []
    for chunk in chunks:
        if skip < len(chunk):
            rest.append(chunk[skip:])
        skip = max(0, skip - len(chunk))
    return rest


class RecordingEnqueue:
    """Stands in for the broker: records the sessions it was asked to enqueue."""

    def __init__(self) -> None:
        self.sessions: list[str] = []

    async def __call__(self, session_id: str) -> None:
        self.sessions.append(session_id)
