"""The clarification matchers with their real parts: the embedding model from its wheel, the
index cache on disk, and a chat model behind a local OpenAI-compatible server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import openai
import pytest
from msgspec.structs import replace

from domain.clarify import NEUTRAL_ANSWER, ClarificationRule
from domain.questions import RubricPoint
from evaluator.clarifier.check import check_question, check_rubric
from evaluator.clarifier.embedding import Embedder
from evaluator.clarifier.model import ModelClassifier
from evaluator.clarifier.semantic import SemanticMatcher, fingerprint
from server.operations.seed import load_bank
from tests.support.fake_openai import FakeOpenAI, Reply

EDITOR = next(q for q, _ in load_bank() if q.slug == "collaborative-document-editor").rules()
RULE = {rule.intent: rule for rule in EDITOR}


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder()


@pytest.fixture
async def matcher(tmp_path: Path, embedder: Embedder) -> AsyncIterator[SemanticMatcher]:
    semantic = SemanticMatcher(tmp_path / "clarifier", embedder=lambda: embedder)
    await semantic.start()
    yield semantic
    await semantic.close()


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


async def test_a_paraphrase_with_no_shared_word_gets_the_rules_answer(
    matcher: SemanticMatcher,
) -> None:
    match = await matcher.match(
        "q1", "Is it OK if people work without internet for a while?", EDITOR
    )
    assert (match.intent, match.answer, match.method) == (
        "offline editing",
        RULE["offline editing"].response,
        "semantic",
    )
    assert match.confidence is not None and match.confidence > 0.5


async def test_a_question_no_rule_covers_gets_the_neutral_answer(
    matcher: SemanticMatcher,
) -> None:
    match = await matcher.match("q1", "Which cloud provider should I deploy this to?", EDITOR)
    assert (match.answer, match.intent) == (NEUTRAL_ANSWER, None)


async def test_an_index_is_kept_on_disk_and_rebuilt_when_the_rules_change(
    tmp_path: Path, embedder: Embedder
) -> None:
    built: list[int] = []

    def counting() -> Embedder:
        built.append(1)
        return embedder

    first = SemanticMatcher(tmp_path, embedder=counting)
    await first.prepare("q1", EDITOR)
    assert (tmp_path / f"{fingerprint(EDITOR)}.npy").exists()
    restarted = SemanticMatcher(tmp_path, embedder=lambda: pytest.fail("the index is on disk"))
    answer = await restarted.prepare("q1", EDITOR)
    assert answer is None
    offline = RULE["offline editing"]
    edited = tuple(
        replace(rule, response="Offline editing is out of scope.") if rule is offline else rule
        for rule in EDITOR
    )
    assert fingerprint(edited) != fingerprint(EDITOR)
    again = SemanticMatcher(tmp_path, embedder=counting)
    match = await again.match("q1", "Do we need to support an offline mode at all?", edited)
    assert match.answer == "Offline editing is out of scope."
    assert len(built) == 2


@pytest.fixture
async def clients() -> AsyncIterator[list[openai.AsyncOpenAI]]:
    made: list[openai.AsyncOpenAI] = []
    yield made
    for client in made:
        await client.close()


def classifier(
    fake: FakeOpenAI,
    fallback: SemanticMatcher,
    clients: list[openai.AsyncOpenAI],
    timeout: float = 2.0,
) -> ModelClassifier:
    client = openai.AsyncOpenAI(api_key="test", base_url=fake.url, max_retries=0)
    clients.append(client)

    async def title(question_id: str) -> str:
        return "Design a collaborative document editor"

    return ModelClassifier(client, "fake-model", fallback, title, timeout)


async def test_the_model_picks_the_rule_and_the_answer_is_the_rules_own(
    fake: FakeOpenAI, matcher: SemanticMatcher, clients: list[openai.AsyncOpenAI]
) -> None:
    marker = fake.script("pick-size", Reply(content=json.dumps({"intent": "document size"})))
    model = classifier(fake, matcher, clients)
    text = f"How big do these get? {marker}"
    match = await model.match("q1", text, EDITOR)
    assert (match.intent, match.answer, match.method) == (
        "document size",
        RULE["document size"].response,
        "model",
    )
    request = fake.calls_for("pick-size")[0].request
    assert request["temperature"] == 0
    schema = request["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["intent"]["enum"] == [*(r.intent for r in EDITOR), None]
    again = await model.match("q1", f"  how BIG do these get? {marker}?", EDITOR)
    assert again == match and len(fake.calls_for("pick-size")) == 1  # cached


async def test_the_model_saying_none_is_the_neutral_answer(
    fake: FakeOpenAI, matcher: SemanticMatcher, clients: list[openai.AsyncOpenAI]
) -> None:
    marker = fake.script("pick-none", Reply(content=json.dumps({"intent": None})))
    match = await classifier(fake, matcher, clients).match(
        "q1", f"Is the office dog friendly? {marker}", EDITOR
    )
    assert (match.answer, match.intent, match.method) == (NEUTRAL_ANSWER, None, "model")


@pytest.mark.parametrize(
    ("name", "reply"),
    [
        ("invented", Reply(content=json.dumps({"intent": "pricing"}))),
        ("malformed", Reply(content="I think it is about offline editing")),
        ("refused", Reply(kind="status", status=500)),
        ("slow", Reply(kind="hang")),
    ],
)
async def test_a_model_that_fails_leaves_the_answer_to_the_offline_matcher(
    fake: FakeOpenAI,
    matcher: SemanticMatcher,
    clients: list[openai.AsyncOpenAI],
    name: str,
    reply: Reply,
) -> None:
    marker = fake.script(name, reply)
    model = classifier(fake, matcher, clients, timeout=0.5)
    text = f"Is it OK if people work without internet for a while? {marker}"
    match = await model.match("q1", text, EDITOR)
    assert (match.intent, match.method) == ("offline editing", "semantic")


def test_bank_check_reports_an_example_another_rule_answers(embedder: Embedder) -> None:
    stray = "Is it OK if people work without internet for a while?"
    permissions = RULE["permissions"]
    muddled = tuple(
        replace(rule, examples=(*rule.examples, stray)) if rule is permissions else rule
        for rule in EDITOR
    )
    found = check_question("editor", muddled, embedder)
    stray_problem = [p for p in found if stray in p.detail]
    assert [(p.intent, p.serious, "offline editing" in p.detail) for p in stray_problem] == [
        ("permissions", True, True)
    ]
    thin = check_question("editor", (ClarificationRule("x", ("a",), "An answer."),), embedder)
    assert [p.detail for p in thin] == ["only 0 examples (want 3+)"]


def test_bank_check_reports_a_rubric_keyword_that_is_one_generic_word() -> None:
    rubric = {
        "apis": [RubricPoint("Fetch by key in O(1)", ["get", "constant time lookup"])],
        "extra": [RubricPoint("Shard by key", ["consistent hashing"])],
    }
    problems = check_rubric("toy", rubric, frozenset())
    assert [(p.intent, "'get'" in p.detail, p.serious) for p in problems] == [
        ("Fetch by key in O(1)", True, True)
    ]
    assert check_rubric("toy", rubric, frozenset({"consistent hashing"})) == problems
