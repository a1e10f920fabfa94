"""The offline evaluator ranks answers as an interviewer would, on hand-written answers to 12
bank questions: strong > the same answer typed into one box > weak > every answer that states
nothing of its own (a keyword list, the description pasted back, boilerplate, a good answer to
another question, nothing)."""

from __future__ import annotations

import pytest

from domain.assessment import OFF_TOPIC_CAP, assess
from domain.rubric_feedback import verdict_from_rubric
from tests.support.calibration import BANK, calibration_slugs, context, kinds

SLUGS = calibration_slugs()
UNEARNED = ("keyword_list", "keyword_box", "description_echo", "boilerplate", "empty")
# A reference answer to another question stays under this on any rubric.
OTHER_QUESTION_CEILING = 20


def score(slug: str, answer: dict[str, str]) -> int:
    question = BANK[slug]
    return assess(question.rubric, answer, context(question, answer)).score


def test_the_set_covers_both_kinds_of_question() -> None:
    assert len(SLUGS) >= 12
    assert {BANK[slug].type for slug in SLUGS} == {"LLD", "HLD"}


@pytest.mark.parametrize("slug", SLUGS)
def test_answers_rank_as_an_interviewer_would(slug: str) -> None:
    scores = {kind: score(slug, answer) for kind, answer in kinds(slug).items()}
    unearned = {k: v for k, v in scores.items() if k in UNEARNED or k.startswith("off_topic")}
    assert scores["strong"] > scores["wrong_section"] > scores["weak"], scores
    assert scores["weak"] > max(unearned.values()), scores
    assert scores["strong"] >= 70, "a strong answer passes"


@pytest.mark.parametrize("slug", SLUGS)
def test_an_answer_to_another_question_is_named_as_such(slug: str) -> None:
    question = BANK[slug]
    for kind, answer in kinds(slug).items():
        if kind.startswith("off_topic:"):
            result = assess(question.rubric, answer, context(question, answer))
            assert result.score <= OFF_TOPIC_CAP
            assert (
                "off-topic" in result.notes[0] and BANK[kind.split(":")[1]].title in result.notes[0]
            )


@pytest.mark.parametrize("slug", sorted(BANK))
def test_no_reference_answer_earns_credit_on_another_questions_rubric(slug: str) -> None:
    answer = dict(BANK[slug].reference_solution)
    for other in BANK:
        if other != slug:
            assert score(other, answer) < OTHER_QUESTION_CEILING, (slug, other)


@pytest.mark.parametrize("slug", SLUGS)
def test_every_strength_quotes_text_that_is_in_the_answer(slug: str) -> None:
    question = BANK[slug]
    answer = kinds(slug)["strong"]
    result = assess(question.rubric, answer, context(question, answer))
    written = "\n".join(answer.values())
    quoted = [p.quote for s in result.sections for p in s.points if p.quote]
    assert quoted and all(quote in written for quote in quoted)
    strengths = verdict_from_rubric(result).strengths
    assert all("“" in strength for strength in strengths[1:]), strengths
