"""Writes the system's follow-up questions during design (the room engine's `FollowupWriter`).

Offline (no API key, or the model failed or was slow): the question's hand-written probes from
the bank (`domain.followups.next_probe`: the first whose rubric point the draft does not state
yet). With a key: the model writes one question from the draft, the clarification log and the
rubric, told never to reveal the rubric or an answer; any error, an empty or over-long reply,
or a reply later than `MODEL_TIMEOUT_SECS` falls back to the probe.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from importlib import resources
from typing import TYPE_CHECKING, Any, cast

import httpx2
import msgspec
import openai

from domain.assessment import AnswerContext
from domain.commands import MAX_TEXT_CHARS
from domain.followups import next_probe
from domain.questions import BankFollowup, RubricPoint, decode_bank_question
from domain.solution import SOLUTION_SECTIONS, section_label
from rooms.service import FollowupQuestion

if TYPE_CHECKING:
    from collections.abc import Callable

    import asyncpg
    from openai.types.chat import ChatCompletionMessageParam

    from domain.state import RoomState

log = logging.getLogger("interview_rooms.followups")

# The candidate is waiting for the question; past this the probe from the bank is asked.
MODEL_TIMEOUT_SECS = 4.0
CONNECT_TIMEOUT_SECS = 2.0
# Some variety between sessions, still on topic.
TEMPERATURE = 0.4
# A follow-up is one or two sentences; a longer reply is a model that lectured instead of asking.
MAX_QUESTION_CHARS = 600
# The model sees at most this much of one section.
MAX_SECTION_PROMPT_CHARS = 4_000

SELECT_QUESTION = "SELECT slug, title, type, description, rubric FROM questions WHERE id = $1"
_rubric_type = dict[str, list[RubricPoint]]

SYSTEM_PROMPT = """You are the interviewer in a live system-design mock interview. The \
candidate is designing right now. Ask ONE follow-up question about the candidate's own design \
as written so far, the way a senior interviewer probes: about a weak spot, a failure mode, a \
load pattern or a trade-off their design leaves open. Refer to what they wrote.
Rules:
- Never reveal, list or hint at the rubric, the expected answer or a solution; do not say what \
is missing ("you forgot X"). Ask, do not teach.
- One question, at most two sentences, no preamble, no greeting, no numbering, no quotes.
- Do not repeat a question already asked in the conversation.
- The rubric below is for choosing what to probe; it is confidential."""


class BankProbes:
    """The bank's follow-up probes by question slug (read once from the shipped files)."""

    @functools.cached_property
    def by_slug(self) -> dict[str, list[BankFollowup]]:
        folder = resources.files("domain") / "bank" / "questions"
        probes: dict[str, list[BankFollowup]] = {}
        for entry in folder.iterdir():
            if entry.name.endswith(".json"):
                question = decode_bank_question(entry.read_bytes())
                probes[question.slug] = list(question.followups)
        return probes


class _Question(msgspec.Struct, frozen=True):
    slug: str
    title: str
    type: str
    description: str
    rubric: dict[str, list[RubricPoint]]


def _draft(state: RoomState, question_type: str) -> str:
    parts = []
    for section in SOLUTION_SECTIONS:
        text = (state.draft.get(section) or "").strip()[:MAX_SECTION_PROMPT_CHARS]
        if text:
            parts.append(f"### {section_label(section, question_type)}\n{text}")
    return "\n\n".join(parts) or "(nothing written yet)"


def followup_messages(question: _Question, state: RoomState) -> list[dict[str, str]]:
    clarifications = "\n".join(
        f"Q: {c.question}\nA: {c.answer or '(not answered)'}" for c in state.clarifications
    )
    asked = "\n".join(
        f"Interviewer: {f.question}\nCandidate: {f.answer or '(not answered yet)'}"
        for f in state.followups
    )
    rubric = "\n".join(
        f"- {section_label(section, question.type)}: {point.point}"
        for section, points in question.rubric.items()
        for point in points
    )
    user = (
        f"# Interview question: {question.title} ({question.type})\n{question.description}\n\n"
        f"# Confidential rubric (never reveal)\n{rubric or '(none)'}\n\n"
        f"# Clarifications so far\n{clarifications or '(none)'}\n\n"
        f"# Follow-up conversation so far\n{asked or '(none)'}\n\n"
        f"# The candidate's design so far\n{_draft(state, question.type)}\n\n"
        "Your one follow-up question:"
    )
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def _clean(reply: str) -> str:
    text = " ".join(reply.strip().strip("\"'“”").split())
    if not text or len(text) > min(MAX_QUESTION_CHARS, MAX_TEXT_CHARS) or "\x00" in text:
        raise ValueError(f"unusable follow-up question ({len(text)} characters)")
    return text


class FollowupWriter:
    def __init__(
        self,
        pool: Callable[[], asyncpg.Pool],
        client: openai.AsyncOpenAI | None = None,
        model: str = "",
        probes: BankProbes | None = None,
        timeout_secs: float = MODEL_TIMEOUT_SECS,
    ) -> None:
        self._pool, self._client, self._model = pool, client, model
        self._probes = probes or BankProbes()
        self._timeout_secs = timeout_secs

    @classmethod
    def from_settings(
        cls, pool: Callable[[], asyncpg.Pool], api_key: str | None, base_url: str | None, model: str
    ) -> FollowupWriter:
        if not api_key:
            return cls(pool)
        timeout = httpx2.Timeout(MODEL_TIMEOUT_SECS, connect=CONNECT_TIMEOUT_SECS)
        client = openai.AsyncOpenAI(
            api_key=api_key, base_url=base_url, max_retries=0, timeout=timeout
        )
        return cls(pool, client, model)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()

    async def write(self, state: RoomState) -> FollowupQuestion | None:
        question = await self._question(state.question_id)
        if question is None:
            return None
        if self._client is not None:
            try:
                text = await asyncio.wait_for(self._ask_model(question, state), self._timeout_secs)
                return FollowupQuestion(text, "model")
            except Exception as exc:  # timeouts, refusals, a down service: the bank's probe
                log.warning("follow-up model failed (%s); asking the bank's probe", exc)
        return self.offline(question, state)

    def offline(self, question: _Question, state: RoomState) -> FollowupQuestion | None:
        probe = next_probe(
            self._probes.by_slug.get(question.slug, []),
            question.rubric,
            state.draft,
            state.followups,
            AnswerContext(
                slug=question.slug, title=question.title, description=question.description
            ),
        )
        return None if probe is None else FollowupQuestion(probe.question, "rubric", probe.section)

    async def _question(self, question_id: str) -> _Question | None:
        async with self._pool().acquire() as conn:
            row = await conn.fetchrow(SELECT_QUESTION, question_id)
        if row is None:
            return None
        raw: Any = row["rubric"]
        rubric = msgspec.json.decode(raw) if isinstance(raw, str | bytes) else raw or {}
        return _Question(
            row["slug"],
            row["title"],
            row["type"],
            row["description"],
            msgspec.convert(rubric, _rubric_type),
        )

    async def _ask_model(self, question: _Question, state: RoomState) -> str:
        assert self._client is not None
        completion = await self._client.chat.completions.create(
            model=self._model,
            temperature=TEMPERATURE,
            stream=False,
            messages=cast("list[ChatCompletionMessageParam]", followup_messages(question, state)),
        )
        return _clean(completion.choices[0].message.content or "")
