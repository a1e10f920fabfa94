"""The model evaluator: the real AsyncOpenAI client against a local OpenAI-compatible server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from domain.assessment import OFF_TOPIC_CAP, assess
from domain.grounding import UNSTATED_MARGIN
from domain.questions import RubricPoint
from evaluator.errors import EvaluationFailed
from evaluator.llm import OpenAIEvaluator, RetryPolicy
from evaluator.prompts import CONTINUE_PROMPT, RESULT_DELIMITER, EvaluationInput
from tests.support.calibration import BANK, GENERIC, PROFILES
from tests.support.fake_openai import FEEDBACK, GOOD_RESULT, FakeOpenAI, Reply


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


class Sink:
    """Records what the room would get: text pieces, flushes and restarts, in order."""

    def __init__(self) -> None:
        self.log: list[tuple[str, str]] = []

    async def text(self, chunk: str) -> None:
        self.log.append(("text", chunk))

    async def flush(self) -> None:
        self.log.append(("flush", ""))

    async def restart(self) -> None:
        self.log.append(("restart", ""))

    def shown(self) -> str:
        """The text a client sees at the end: everything since the last restart."""
        text = ""
        for kind, chunk in self.log:
            text = "" if kind == "restart" else text + chunk
        return text


def evaluation(marker: str) -> EvaluationInput:
    return EvaluationInput(
        question_title="Design an LRU Cache",
        question_type="LLD",
        difficulty="medium",
        description="A fixed-capacity cache.",
        clarifications=[("Is it thread-safe?", "Yes, 64 goroutines.")],
        solution={"functional_req": f"get and put {marker}", "code": "class LRU: ..."},
        language="go",
        rubric={"functional_req": [RubricPoint("Evict the LRU entry", ["evict"])]},
    )


MakeEvaluator = Callable[..., tuple[OpenAIEvaluator, list[float]]]


@pytest.fixture
async def make_evaluator(fake: FakeOpenAI) -> AsyncIterator[MakeEvaluator]:
    """Evaluators on the fake server whose backoff sleeps are recorded, not slept; closed after."""
    made: list[OpenAIEvaluator] = []

    def make(attempts: int = 3, timeout: float = 5.0) -> tuple[OpenAIEvaluator, list[float]]:
        slept: list[float] = []

        async def sleep(secs: float) -> None:
            slept.append(secs)

        policy = RetryPolicy(attempts, 0.5, timeout)
        made.append(
            OpenAIEvaluator(
                OpenAIEvaluator.from_settings("sk-test", fake.url, "fake-model", policy).client,
                "fake-model",
                policy,
                sleep,
            )
        )
        return made[-1], slept

    yield make
    for ev in made:
        await ev.close()


async def test_feedback_streams_in_order_and_the_result_is_validated(
    make_evaluator: MakeEvaluator, fake: FakeOpenAI
) -> None:
    marker = fake.script("happy", Reply(chunk_chars=5))
    ev, _ = make_evaluator()
    sink = Sink()
    done = await ev.evaluate(evaluation(marker), sink)
    assert done.verdict.score == GOOD_RESULT["score"] and done.feedback == FEEDBACK
    pieces = [chunk for kind, chunk in sink.log if kind == "text"]
    assert len(pieces) > 10, "streamed piece by piece, not in one go"
    assert "".join(pieces).strip() == FEEDBACK and RESULT_DELIMITER not in "".join(pieces)
    (call,) = fake.calls_for("happy")
    assert call.stream
    prompt = " ".join(m["content"] for m in call.messages)
    for part in (
        "Design an LRU Cache",
        "Is it thread-safe?",
        "Yes, 64 goroutines.",
        "get and put",
        "class LRU",
        "Evict the LRU entry",
        RESULT_DELIMITER,
        '"score"',
    ):
        assert part in prompt


@pytest.mark.parametrize(
    ("name", "failures", "reason"),
    [
        ("rate-limited", [Reply(kind="status", status=429)], "429"),
        (
            "server-error",
            [Reply(kind="status", status=500), Reply(kind="status", status=503)],
            "503",
        ),
        ("hangs", [Reply(kind="hang")], "in time"),
        ("too-slow", [Reply(chunk_delay=0.05, chunk_chars=2)], "in time"),
        ("drops", [Reply(kind="drop")], "broke"),
    ],
)
async def test_transient_failures_are_retried_with_backoff(
    make_evaluator: MakeEvaluator,
    fake: FakeOpenAI,
    caplog: pytest.LogCaptureFixture,
    name: str,
    failures: list[Reply],
    reason: str,
) -> None:
    marker = fake.script(name, *failures, Reply())
    ev, slept = make_evaluator(attempts=len(failures) + 1, timeout=1.0)
    sink = Sink()
    done = await ev.evaluate(evaluation(marker), sink)
    assert done.verdict.score == GOOD_RESULT["score"]
    assert len(fake.calls_for(name)) == len(failures) + 1 and len(slept) == len(failures)
    assert sink.shown().strip() == FEEDBACK, "nothing shown is lost or repeated"
    assert all(kind != "restart" for kind, _ in sink.log)
    assert slept == sorted(slept), "backoff grows"
    assert reason in caplog.text


async def test_a_stream_that_broke_is_continued_after_the_text_shown(
    make_evaluator: MakeEvaluator, fake: FakeOpenAI
) -> None:
    long = " ".join([FEEDBACK] * 4)  # the drop comes a third of the way in: mid-prose
    marker = fake.script("broke", Reply(kind="drop", text=long, chunk_chars=7), Reply(text=long))
    ev, _ = make_evaluator()
    sink = Sink()
    done = await ev.evaluate(evaluation(marker), sink)
    first, second = fake.calls_for("broke")
    assert second.messages[:-2] == first.messages, "the same prompt, then"
    shown_first = second.messages[-2]["content"]
    assert second.messages[-2:] == [
        {"role": "assistant", "content": shown_first},
        {"role": "user", "content": CONTINUE_PROMPT},
    ]
    assert 0 < len(shown_first) < len(long) and long.startswith(shown_first)
    assert all(kind != "restart" for kind, _ in sink.log)
    assert done.feedback == long and sink.shown().strip() == long, "nothing lost or twice"


async def test_a_takeover_streams_only_what_follows_the_text_shown(
    make_evaluator: MakeEvaluator, fake: FakeOpenAI
) -> None:
    marker = fake.script("taken-over", Reply())
    ev, _ = make_evaluator()
    sink, shown = Sink(), FEEDBACK[:77]  # a dead worker's stream, cut mid-word
    done = await ev.evaluate(evaluation(marker), sink, shown=shown)
    (call,) = fake.calls_for("taken-over")
    assert call.messages[-2] == {"role": "assistant", "content": shown}
    assert shown + sink.shown() == FEEDBACK + "\n", "the rest, once"
    assert done.feedback == FEEDBACK and done.verdict.score == GOOD_RESULT["score"]


async def test_a_model_that_starts_over_replaces_the_text_shown(
    make_evaluator: MakeEvaluator, fake: FakeOpenAI
) -> None:
    marker = fake.script("starts-over", Reply(continues=False))
    ev, _ = make_evaluator()
    sink = Sink()
    done = await ev.evaluate(evaluation(marker), sink, shown=FEEDBACK[:90])
    assert sink.log[0] == ("restart", ""), "the stream begins afresh before the new text"
    assert sink.shown().strip() == FEEDBACK and done.feedback == FEEDBACK


async def test_retry_after_is_honoured(make_evaluator: MakeEvaluator, fake: FakeOpenAI) -> None:
    marker = fake.script(
        "retry-after", Reply(kind="status", status=429, headers={"retry-after": "7"}), Reply()
    )
    ev, slept = make_evaluator()
    await ev.evaluate(evaluation(marker), Sink())
    assert slept == [7.0]


async def test_malformed_json_is_repaired_without_streaming_again(
    make_evaluator: MakeEvaluator, fake: FakeOpenAI
) -> None:
    broken = {**GOOD_RESULT, "score": 140}
    marker = fake.script("broken-json", Reply(result=broken), Reply(result="{nope"), Reply())
    ev, _ = make_evaluator()
    sink = Sink()
    done = await ev.evaluate(evaluation(marker), sink)
    assert done.verdict.score == GOOD_RESULT["score"] and done.feedback == FEEDBACK
    assert [c.stream for c in fake.calls_for("broken-json")] == [True, False, False]
    assert all(kind != "restart" for kind, _ in sink.log) and sink.shown().strip() == FEEDBACK
    repair = fake.calls_for("broken-json")[1].messages
    assert repair[-2]["role"] == "assistant" and "<= 100 - at `$.score`" in repair[-1]["content"]


async def test_a_result_that_stays_malformed_fails_and_is_not_returned(
    make_evaluator: MakeEvaluator, fake: FakeOpenAI
) -> None:
    marker = fake.script("always-broken", Reply(result='{"score": "high"}'))
    ev, _ = make_evaluator(attempts=3)
    with pytest.raises(EvaluationFailed, match="structured result was invalid"):
        await ev.evaluate(evaluation(marker), Sink())
    assert len(fake.calls_for("always-broken")) == 3


async def test_retries_are_bounded(make_evaluator: MakeEvaluator, fake: FakeOpenAI) -> None:
    marker = fake.script("down", Reply(kind="status", status=502))
    ev, slept = make_evaluator(attempts=4)
    with pytest.raises(EvaluationFailed, match=r"after 4 attempts.*HTTP 502"):
        await ev.evaluate(evaluation(marker), Sink())
    assert len(fake.calls_for("down")) == 4 and len(slept) == 3


@pytest.mark.parametrize("status", [400, 401, 404])
async def test_a_refusal_is_not_retried(
    make_evaluator: MakeEvaluator, fake: FakeOpenAI, status: int
) -> None:
    marker = fake.script(f"refused-{status}", Reply(kind="status", status=status))
    ev, slept = make_evaluator()
    with pytest.raises(EvaluationFailed, match=str(status)):
        await ev.evaluate(evaluation(marker), Sink())
    assert len(fake.calls_for(f"refused-{status}")) == 1 and slept == []


def bank_evaluation(slug: str, solution: dict[str, str]) -> EvaluationInput:
    question = BANK[slug]
    return EvaluationInput(
        question_title=question.title,
        question_type=question.type,
        difficulty=question.difficulty,
        description=question.description,
        clarifications=[],
        solution=solution,
        language=solution.get("language") or "python",
        rubric={s: list(points) for s, points in question.rubric.items()},
        question_slug=slug,
        bank=list(PROFILES),
        generic_keywords=sorted(GENERIC),
    )


def flattering(score: int, criteria: list[dict[str, Any]] | None = None) -> Reply:
    result: dict[str, Any] = {**GOOD_RESULT, "score": score}
    if criteria is not None:
        result["criteria"] = criteria
    return Reply(result=result)


async def test_a_model_flattering_a_keyword_list_is_held_to_the_offline_gates(
    make_evaluator: MakeEvaluator, fake: FakeOpenAI
) -> None:
    marker = fake.script("flatter-list", flattering(95))
    keywords = [
        k for points in BANK["lru-cache"].rubric.values() for p in points for k in p.keywords
    ]
    answer = {"functional_req": ", ".join(keywords) + f" {marker}"}
    ev, _ = make_evaluator()
    done = await ev.evaluate(bank_evaluation("lru-cache", answer), Sink())
    listed = assess(BANK["lru-cache"].rubric, answer).score
    assert done.verdict.score <= listed + UNSTATED_MARGIN <= 20
    assert any("bare terms" in w for w in done.verdict.weaknesses)


async def test_a_model_flattering_another_questions_answer_is_capped_as_off_topic(
    make_evaluator: MakeEvaluator, fake: FakeOpenAI
) -> None:
    marker = fake.script("flatter-other", flattering(92))
    answer = {**BANK["atm-machine"].reference_solution}
    answer["extra"] = f"{answer.get('extra', '')} {marker}"
    ev, _ = make_evaluator()
    done = await ev.evaluate(bank_evaluation("vending-machine", answer), Sink())
    assert done.verdict.score <= OFF_TOPIC_CAP
    assert "off-topic" in done.verdict.weaknesses[0] and "ATM" in done.verdict.weaknesses[0]


async def test_the_score_follows_the_levels_and_invented_quotes_are_dropped(
    make_evaluator: MakeEvaluator, fake: FakeOpenAI
) -> None:
    said = "Get and put both run in constant time using a hash map plus a doubly linked list."
    criteria = [
        {
            "section": "functional_req",
            "point": "O(1) get and put",
            "level": "stated",
            "quote": said,
        },
        {
            "section": "functional_req",
            "point": "TTL",
            "level": "stated",
            "quote": "Entries expire after a TTL.",
        },
        {"section": "code", "point": "Thread safety", "level": "missing", "quote": None},
    ]
    marker = fake.script("levels", flattering(97, criteria))
    ev, _ = make_evaluator()
    answer = {"functional_req": f"{said} {marker}", "language": "python"}
    done = await ev.evaluate(bank_evaluation("lru-cache", answer), Sink())
    levels = [(c.level, c.quote) for c in done.verdict.criteria]
    assert levels == [("stated", said), ("partial", None), ("missing", None)]
    assert done.verdict.score == round(100 * (1 + 0.5 + 0) / 3)
    assert done.verdict.weaknesses[0].startswith("1 quote(s)")
