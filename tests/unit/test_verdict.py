"""The structured result's schema, and splitting a streamed answer into prose and JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest

from domain.evaluation import VERDICT_SCHEMA, InvalidVerdict, parse_verdict
from evaluator.prompts import RESULT_DELIMITER
from evaluator.structured import AnswerSplitter

GOOD: dict[str, Any] = {
    "score": 81,
    "sections": {"apis": {"score": 70, "comment": "Fine."}},
    "strengths": ["a"],
    "weaknesses": [],
    "improvement_points": ["b"],
    "follow_up_questions": ["c?"],
}


def with_(**changes: Any) -> str:
    return json.dumps({**GOOD, **changes})


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(GOOD),
        f"```json\n{json.dumps(GOOD)}\n```",
        f"  {json.dumps(GOOD)}\n",
        with_(extra_field="ignored"),
    ],
)
def test_a_valid_result_parses(text: str) -> None:
    verdict = parse_verdict(text)
    assert verdict.score == 81 and verdict.sections["apis"].score == 70


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "missing"),
        ("{not json", "malformed"),
        (with_(score=101), "score above 100"),
        (with_(score=-1), "negative score"),
        (with_(score="90"), "score as a string"),
        (with_(sections={"apis": {"score": 50}}), "section without a comment"),
        (with_(sections={"database": {"score": 50, "comment": "x"}}), "unknown section"),
        (with_(strengths=["x"] * 13), "too many bullets"),
        (with_(strengths=[""]), "empty bullet"),
        (json.dumps({k: v for k, v in GOOD.items() if k != "weaknesses"}), "missing field"),
        ("[1, 2]", "not an object"),
    ],
)
def test_a_malformed_result_is_refused(text: str, why: str) -> None:
    with pytest.raises(InvalidVerdict):
        parse_verdict(text)


def test_the_schema_document_names_every_field() -> None:
    body = json.dumps(VERDICT_SCHEMA)
    for name in (
        "score",
        "sections",
        "strengths",
        "weaknesses",
        "improvement_points",
        "follow_up_questions",
        "maximum",
    ):
        assert name in body


ANSWER = f"Good work.\nMore prose.\n{RESULT_DELIMITER}\n{json.dumps(GOOD)}"


@pytest.mark.parametrize("size", [1, 2, 3, 7, len(RESULT_DELIMITER) - 1, 50, len(ANSWER)])
def test_splitter_never_shows_the_delimiter_however_the_stream_is_cut(size: int) -> None:
    splitter = AnswerSplitter()
    shown = "".join(splitter.feed(ANSWER[i : i + size]) for i in range(0, len(ANSWER), size))
    shown += splitter.finish()
    assert shown == "Good work.\nMore prose.\n"
    assert splitter.structured is not None
    assert parse_verdict(splitter.structured).score == 81


def test_splitter_without_a_delimiter_shows_everything_and_has_no_json() -> None:
    splitter = AnswerSplitter()
    shown = splitter.feed("Only prose <<<EVAL") + splitter.finish()
    assert shown == "Only prose <<<EVAL" and splitter.structured is None
