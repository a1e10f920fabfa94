"""The model evaluator: AsyncOpenAI, streamed, with bounded retries and a validated result.

One streamed chat completion per attempt: the prose before `RESULT_DELIMITER` goes to the room as
it arrives, the JSON after it is held back and validated (`domain.evaluation.parse_verdict`).
- Text the room shows is never taken back or sent twice. An attempt after some was shown (a
  retry after the stream broke, or a worker taking over a dead one's job: `shown`) asks the
  model to continue after it (`prompts.continue_messages`) and streams only the rest; one that
  starts over anyway replaces the shown text instead (`structured.Feedback`).
- A timeout, a connection error, 429, 408/409 or 5xx is retried after a backoff.
- A malformed JSON part is retried without streaming again: one non-streamed call shows the
  model its answer and the error and asks for the JSON only, so the room never sees the same
  feedback twice and a bad result is never stored.
- Any other 4xx (bad key, unknown model) fails at once: retrying cannot help.
The SDK's own retries are off (`max_retries=0`) so that one policy, this one, is in charge.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import httpx2
import openai

from domain.assessment import assess
from domain.evaluation import MAX_FEEDBACK_CHARS, InvalidVerdict, Verdict, parse_verdict
from domain.grounding import ground
from evaluator import prompts
from evaluator.base import Evaluated
from evaluator.errors import EvaluationFailed
from evaluator.structured import Feedback

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from openai import AsyncStream
    from openai.types.chat import ChatCompletionChunk, ChatCompletionMessageParam

    from domain.rubric import RubricScore
    from evaluator.base import TextSink
    from evaluator.prompts import EvaluationInput
    from evaluator.structured import Shown

log = logging.getLogger("interview_rooms.evaluator")

# Backoff doubles per attempt up to this; a Retry-After header is honoured up to it too.
MAX_BACKOFF_SECS = 30.0
# Connecting is quick or the server is down; don't spend the whole call budget on it.
CONNECT_TIMEOUT_SECS = 5.0
# Low temperature: the same answer should get much the same score twice.
TEMPERATURE = 0.2
RETRYABLE_STATUS = frozenset({408, 409, 429})


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int
    backoff_secs: float
    timeout_secs: float

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before `attempt` (2, 3, ...): exponential, jittered, capped."""
        base = min(MAX_BACKOFF_SECS, self.backoff_secs * 2.0 ** (attempt - 2))
        jittered = base * random.uniform(0.8, 1.2)  # noqa: S311 - spreading retries, not secrets
        return min(MAX_BACKOFF_SECS, max(jittered, retry_after or 0.0))


class _StreamBroken(Exception):
    """The connection dropped after the answer had begun."""


# Failures of the exchange itself (not an HTTP status): retried.
TRANSPORT_ERRORS = (openai.APIConnectionError, httpx2.TransportError, TimeoutError, _StreamBroken)


class _Retry(Exception):
    """This attempt failed in a way the next attempt may not."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.retry_after = reason, retry_after


def _retry_after(exc: openai.APIStatusError) -> float | None:
    raw = exc.response.headers.get("retry-after")
    try:
        return float(str(raw)) if raw else None
    except ValueError:
        return None


def _classify(exc: BaseException) -> _Retry | EvaluationFailed:
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if status in RETRYABLE_STATUS or status >= 500:
            what = "rate-limited" if status == 429 else "failing"
            return _Retry(f"the model service is {what} (HTTP {status})", _retry_after(exc))
        return EvaluationFailed(f"The model service refused the request (HTTP {status}).")
    if isinstance(exc, openai.APITimeoutError | TimeoutError | httpx2.TimeoutException):
        return _Retry("the model did not answer in time")
    if isinstance(exc, _StreamBroken):
        return _Retry("the connection to the model broke mid-answer")
    return _Retry("the model service could not be reached")


def offline_reading(evaluation: EvaluationInput) -> RubricScore:
    """What the offline evaluator makes of the answer: the gates a model's score must pass."""
    return assess(
        evaluation.rubric, evaluation.solution, evaluation.answer_context(), evaluation.answers()
    )


class OpenAIEvaluator:
    def __init__(
        self,
        client: openai.AsyncOpenAI,
        model: str,
        policy: RetryPolicy,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.client, self.model, self.policy, self._sleep = client, model, policy, sleep

    @classmethod
    def from_settings(
        cls, api_key: str, base_url: str | None, model: str, policy: RetryPolicy
    ) -> OpenAIEvaluator:
        timeout = httpx2.Timeout(policy.timeout_secs, connect=CONNECT_TIMEOUT_SECS)
        client = openai.AsyncOpenAI(
            api_key=api_key, base_url=base_url, max_retries=0, timeout=timeout
        )
        return cls(client, model, policy)

    @property
    def label(self) -> str:
        return f"openai:{self.model}"

    async def close(self) -> None:
        await self.client.close()

    async def evaluate(
        self, evaluation: EvaluationInput, sink: TextSink, shown: str = ""
    ) -> Evaluated:
        feedback = Feedback(shown)  # once complete, only its JSON may be redone
        problem, reason, retry_after = "", "", None
        for attempt in range(1, self.policy.attempts + 1):
            if attempt > 1:
                await self._sleep(self.policy.delay(attempt, retry_after))
            try:
                async with asyncio.timeout(self.policy.timeout_secs):
                    if not feedback.complete:
                        await self._stream(evaluation, sink, feedback)
                        verdict = parse_verdict(feedback.structured or "")
                    else:
                        verdict = await self._repair(evaluation, feedback, problem)
                grounded = ground(verdict, evaluation.quotable(), offline_reading(evaluation))
                return Evaluated(grounded, feedback.prose.strip()[:MAX_FEEDBACK_CHARS])
            except InvalidVerdict as exc:
                problem, retry_after = str(exc), None
                reason = "the model's structured result was invalid"
                log.warning("attempt %d: invalid structured result: %s", attempt, exc)
            except (openai.APIStatusError, *TRANSPORT_ERRORS) as exc:
                outcome = _classify(exc)
                if isinstance(outcome, EvaluationFailed):
                    raise outcome from exc
                reason, retry_after = outcome.reason, outcome.retry_after
                log.warning("attempt %d failed: %s", attempt, outcome.reason)
        raise EvaluationFailed(
            f"The evaluation failed after {self.policy.attempts} attempts: {reason}. "
            "You can retry it."
        )

    async def _stream(
        self, evaluation: EvaluationInput, sink: TextSink, feedback: Feedback
    ) -> None:
        """One streamed call, continuing after the text the room shows if there is any."""
        shown = feedback.begin()
        prompt = (
            prompts.continue_messages(evaluation, shown) if shown else prompts.messages(evaluation)
        )
        stream: AsyncStream[ChatCompletionChunk] = await self.client.chat.completions.create(
            model=self.model,
            messages=cast("list[ChatCompletionMessageParam]", prompt),
            temperature=TEMPERATURE,
            stream=True,
        )
        async with stream:
            try:
                async for chunk in stream:
                    piece = chunk.choices[0].delta.content if chunk.choices else None
                    if piece:
                        await _show(sink, feedback.feed(piece))
            except (openai.APITimeoutError, httpx2.TimeoutException):
                raise
            except (openai.APIConnectionError, httpx2.TransportError) as exc:
                raise _StreamBroken(str(exc)) from exc
        await _show(sink, feedback.finish())
        await sink.flush()

    async def _repair(
        self, evaluation: EvaluationInput, feedback: Feedback, problem: str
    ) -> Verdict:
        reply = await self.client.chat.completions.create(
            model=self.model,
            messages=cast(
                "list[ChatCompletionMessageParam]",
                prompts.repair_messages(evaluation, feedback.answer, problem),
            ),
            temperature=TEMPERATURE,
        )
        content = (reply.choices[0].message.content if reply.choices else None) or ""
        return parse_verdict(content.split(prompts.RESULT_DELIMITER)[-1])


async def _show(sink: TextSink, shown: Shown) -> None:
    if shown.restart:
        await sink.restart()
    if shown.text:
        await sink.text(shown.text)
