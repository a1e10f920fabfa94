"""Matching free-text clarifications to a question's rules."""

from __future__ import annotations

import pytest

from domain.clarify import (
    NEUTRAL_ANSWER,
    ClarificationRule,
    answer_for,
    match_rule,
    normalise,
    stem,
)

PARKING_LOT = (
    ClarificationRule(
        "payment",
        ("payment", "pay", "credit card", "cash", "fee", "ticket price", "billing"),
        "Card or cash at the exit gate; fees are hourly.",
    ),
    ClarificationRule(
        "vehicle_types",
        ("vehicle", "car", "motorcycle", "bike", "truck", "bus", "van", "electric vehicle"),
        "Motorcycles, cars and trucks; each needs a matching spot size.",
    ),
    ClarificationRule(
        "floors",
        ("floor", "level", "multi-level", "storey", "capacity", "how many spots"),
        "Three floors of 100 spots each.",
    ),
    ClarificationRule(
        "concurrency",
        ("concurrent", "concurrency", "simultaneous", "race condition", "thread", "same spot"),
        "Yes: several entry gates assign spots at the same time.",
    ),
)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("vehicles", "vehicl"),
        ("vehicle", "vehicl"),
        ("reserved", "reserv"),
        ("reserving", "reserv"),
        ("classes", "class"),
        ("class", "class"),
        ("status", "status"),
        ("garages", "garag"),
        ("parking", "park"),
        ("running", "run"),
        ("billing", "bill"),
        ("entries", "entry"),
        ("payments", "payment"),
        ("bus", "bus"),
        ("ring", "ring"),  # stem would be too short
    ],
)
def test_stem(word: str, expected: str) -> None:
    assert stem(word) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Do we need to support TRUCKS?", ["truck"]),
        ("multi-level parking_lot", ["multi", "level", "park", "lot"]),
        ("What is the", []),
        ("", []),
        ("Pay 10 dollars", ["pay", "10", "dollar"]),
    ],
)
def test_normalise(text: str, expected: list[str]) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("How do customers pay?", "payment"),
        ("Which payment methods are accepted?", "payment"),
        ("Do we accept credit cards?", "payment"),
        ("Is parking free or is there a fee?", "payment"),
        ("How is the ticket price computed?", "payment"),
        ("What vehicles should the lot handle?", "vehicle_types"),
        ("Are motorcycles and trucks allowed?", "vehicle_types"),
        ("Do we need special spots for electric vehicles?", "vehicle_types"),
        ("Can BUSES park here?", "vehicle_types"),
        ("How many floors are there?", "floors"),
        ("Is it a multi-level garage?", "floors"),
        ("What's the capacity of each level?", "floors"),
        ("Can two cars grab the same spot at the same time?", "concurrency"),
        ("Should we worry about race conditions?", "concurrency"),
        ("Do multiple threads access the lot?", "concurrency"),
        ("Are entries simultaneous across gates?", "concurrency"),
    ],
)
def test_questions_match_their_intent(question: str, intent: str) -> None:
    assert answer_for(question, PARKING_LOT) == (
        next(rule.response for rule in PARKING_LOT if rule.intent == intent),
        intent,
    )


@pytest.mark.parametrize(
    "question",
    [
        "What is the weather like today?",
        "Who is the interviewer?",
        "Should I use UML?",
        "Can I assume this is a system design question?",
        "",
        "???",
    ],
)
def test_unrelated_questions_get_the_neutral_answer(question: str) -> None:
    assert answer_for(question, PARKING_LOT) == (NEUTRAL_ANSWER, None)


def test_no_rules_means_neutral() -> None:
    assert answer_for("How do customers pay?", ()) == (NEUTRAL_ANSWER, None)


def test_ties_go_to_the_first_rule() -> None:
    first = ClarificationRule("a", ("gate",), "A")
    second = ClarificationRule("b", ("gate",), "B")
    assert match_rule("Which gate?", (first, second)) is first
    assert match_rule("Which gate?", (second, first)) is second


def test_a_whole_phrase_outweighs_a_single_word() -> None:
    words = ClarificationRule("words", ("card",), "W")
    phrase = ClarificationRule("phrase", ("credit card",), "P")
    assert match_rule("Is a credit card fine?", (words, phrase)) is phrase


def test_a_word_every_rule_shares_is_not_enough() -> None:
    rules = tuple(ClarificationRule(f"r{i}", ("parking", f"w{i}"), "x") for i in range(3))
    assert match_rule("Tell me about parking", rules) is None
    assert match_rule("Tell me about parking w2", rules) is rules[2]
