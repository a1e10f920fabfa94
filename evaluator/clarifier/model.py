"""A chat model picks the rule a clarifying question is about: one intent or none, structured
output at temperature 0, cached by (question, text), bounded by a short timeout after which the
offline matcher answers. The answer is always the rule's own response: the model chooses, it
never writes the requirement."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, cast

import msgspec

from domain.clarify import NEUTRAL_ANSWER, Match, normalise_question

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    import openai
    from openai.types.chat import ChatCompletionMessageParam
    from openai.types.shared_params import ResponseFormatJSONSchema

    from domain.clarify import ClarificationRule
    from evaluator.clarifier.semantic import SemanticMatcher

log = logging.getLogger("interview_rooms.clarifier")

# The candidate is waiting on the answer; past this the offline matcher answers instead.
MODEL_TIMEOUT_SECS = 4.0
# Distinct (question, text) pairs remembered; candidates repeat themselves across sessions.
CACHE_ENTRIES = 4096
# The model's pick is trusted this much; it only ever picks among the question's own rules.
MODEL_CONFIDENCE = 0.9
MAX_RULE_TEXT_CHARS = 600

SYSTEM_PROMPT = """You assist a system-design interviewer. The interviewer has a fixed list of \
clarification rules for the interview question: each rule has an intent (what it is about) and \
the answer the interviewer gives. Read the candidate's clarifying question and return the intent \
of the ONE rule whose answer responds to what the candidate is asking. If the candidate asks \
about something no rule answers, or you are not sure, return null: the interviewer then tells \
the candidate to state an assumption. A topic the candidate sets aside ("leaving X aside", \
"apart from X") is not what they ask about. Never pick a rule only because it shares a word."""


class _Choice(msgspec.Struct):
    intent: str | None


def _schema(rules: Sequence[ClarificationRule]) -> dict[str, Any]:
    intents: list[str | None] = [rule.intent for rule in rules]
    return {
        "name": "rule_choice",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {"intent": {"type": ["string", "null"], "enum": [*intents, None]}},
            "required": ["intent"],
            "additionalProperties": False,
        },
    }


def _prompt(title: str, text: str, rules: Sequence[ClarificationRule]) -> str:
    listed = [
        {"intent": rule.intent, "answer": rule.response[:MAX_RULE_TEXT_CHARS]} for rule in rules
    ]
    return json.dumps(
        {"interview_question": title, "rules": listed, "candidate_asks": text}, ensure_ascii=False
    )


class ModelClassifier:
    def __init__(
        self,
        client: openai.AsyncOpenAI,
        model: str,
        fallback: SemanticMatcher,
        title: Callable[[str], Awaitable[str]],
        timeout_secs: float = MODEL_TIMEOUT_SECS,
    ) -> None:
        self._client, self._model, self._fallback = client, model, fallback
        self._title, self._timeout_secs = title, timeout_secs
        self._cache: OrderedDict[tuple[str, str], str | None] = OrderedDict()

    async def start(self) -> None:
        await self._fallback.start()

    async def prepare(self, question_id: str, rules: Sequence[ClarificationRule]) -> None:
        await self._fallback.prepare(question_id, rules)

    async def close(self) -> None:
        await self._fallback.close()
        await self._client.close()

    async def match(self, question_id: str, text: str, rules: Sequence[ClarificationRule]) -> Match:
        key = (question_id, normalise_question(text))
        if key not in self._cache:
            try:
                intent = await asyncio.wait_for(
                    self._choose(question_id, text, rules), self._timeout_secs
                )
            except Exception as exc:  # timeouts, refusals, a down service: answer offline
                log.warning("clarification model failed (%s); answering offline", exc)
                return await self._fallback.match(question_id, text, rules)
            self._remember(key, intent)
        return _answer(self._cache[key], rules)

    async def _choose(
        self, question_id: str, text: str, rules: Sequence[ClarificationRule]
    ) -> str | None:
        messages = [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": _prompt(await self._title(question_id), text, rules)},
        ]
        completion = await self._client.chat.completions.create(
            model=self._model,
            temperature=0,
            stream=False,
            messages=cast("list[ChatCompletionMessageParam]", messages),
            response_format=cast(
                "ResponseFormatJSONSchema", {"type": "json_schema", "json_schema": _schema(rules)}
            ),
        )
        content = completion.choices[0].message.content or ""
        intent = msgspec.json.decode(content, type=_Choice).intent
        if intent is not None and intent not in {rule.intent for rule in rules}:
            raise ValueError(f"the model named no rule of this question: {intent!r}")
        return intent

    def _remember(self, key: tuple[str, str], intent: str | None) -> None:
        self._cache[key] = intent
        self._cache.move_to_end(key)
        while len(self._cache) > CACHE_ENTRIES:
            self._cache.popitem(last=False)


def _answer(intent: str | None, rules: Sequence[ClarificationRule]) -> Match:
    for rule in rules:
        if rule.intent == intent:
            return Match(rule.response, rule.intent, MODEL_CONFIDENCE, "model")
    return Match(NEUTRAL_ANSWER, None, MODEL_CONFIDENCE, "model")
