"""The pure side of clarification matching: the word signal, the texts a rule is indexed by,
and the one decision rule over the scores."""

from __future__ import annotations

import pytest

from domain.clarify import (
    CONFIDENCE_SPREAD,
    LEXICAL_THRESHOLD,
    LEXICAL_WEIGHT,
    NEUTRAL_ANSWER,
    SEMANTIC_THRESHOLD,
    Bm25,
    ClarificationRule,
    choose,
    lexical_match,
    normalise_question,
    rule_texts,
    terms,
)

PARKING_LOT = (
    ClarificationRule(
        "payment",
        ("payment", "pay", "credit card", "cash", "fee", "ticket price", "billing"),
        "Card or cash at the exit gate; fees are hourly.",
        ("How do drivers pay when they leave?",),
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
    ("text", "expected"),
    [
        ("Do we need to support TRUCKS?", ["truck"]),
        ("Keep notes once", ["keep", "note", "onc"]),  # "notes" is not "not"
        ("reserved, reserving, reservations", ["reserv", "reserv", "reserv"]),
        ("What is the", []),
        ("", []),
        ("Pay 10.5 dollars", ["pay", "10.5", "dollar"]),
        ("Don't we need it?", []),
    ],
)
def test_terms_are_stemmed_words_without_filler(text: str, expected: list[str]) -> None:
    assert terms(text) == expected


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("Which payment methods are accepted, cash or credit card?", "payment"),
        ("How is the ticket price and the fee computed?", "payment"),
        ("Are motorcycles, trucks and electric vehicles allowed?", "vehicle_types"),
        ("How many floors and levels are there, and what capacity?", "floors"),
        ("Should we worry about race conditions and concurrent threads?", "concurrency"),
    ],
)
def test_the_word_signal_alone_finds_a_question_full_of_the_rules_words(
    question: str, intent: str
) -> None:
    match = lexical_match(question, PARKING_LOT)
    assert (match.intent, match.method) == (intent, "lexical")
    assert match.answer == next(r.response for r in PARKING_LOT if r.intent == intent)


@pytest.mark.parametrize(
    "question", ["What is the weather like today?", "Should I use UML?", "", "???"]
)
def test_unrelated_questions_get_the_neutral_answer(question: str) -> None:
    match = lexical_match(question, PARKING_LOT)
    assert (match.answer, match.intent) == (NEUTRAL_ANSWER, None)


def test_no_rules_means_neutral() -> None:
    assert lexical_match("How do customers pay?", ()).answer == NEUTRAL_ANSWER
    assert choose((), [], []).intent is None


def test_a_word_every_rule_shares_says_nothing() -> None:
    rules = tuple(ClarificationRule(f"r{i}", ("parking", f"w{i}"), "x") for i in range(3))
    scores = Bm25(rules).scores("Tell me about parking")
    assert max(scores) < LEXICAL_THRESHOLD
    assert Bm25(rules).scores("parking w2 w2")[2] > max(Bm25(rules).scores("parking w2")[:2])


def test_the_semantic_score_decides_with_the_word_score_as_a_nudge() -> None:
    rules = PARKING_LOT[:2]
    above = choose(rules, [0.0, 0.0], [SEMANTIC_THRESHOLD + 0.01, 0.2])
    assert (above.intent, above.method) == ("payment", "semantic")
    below = choose(rules, [0.0, 0.0], [SEMANTIC_THRESHOLD - 0.01, 0.2])
    assert (below.answer, below.intent) == (NEUTRAL_ANSWER, None)
    nudged = choose(rules, [0.0, 2.0], [0.80, 0.80])
    assert nudged.intent == "vehicle_types"
    lifted = choose(rules, [0.0, 0.03 / LEXICAL_WEIGHT], [0.0, SEMANTIC_THRESHOLD - 0.02])
    assert lifted.intent == "vehicle_types"


def test_ties_go_to_the_earlier_rule() -> None:
    assert choose(PARKING_LOT[:2], [0.0, 0.0], [0.9, 0.9]).intent == "payment"
    assert choose(PARKING_LOT[1::-1], [0.0, 0.0], [0.9, 0.9]).intent == "vehicle_types"


def test_confidence_grows_with_the_distance_from_the_threshold() -> None:
    rules = PARKING_LOT[:1]
    near = choose(rules, [0.0], [SEMANTIC_THRESHOLD + 0.01]).confidence
    far = choose(rules, [0.0], [SEMANTIC_THRESHOLD + CONFIDENCE_SPREAD * 2]).confidence
    unsure = choose(rules, [0.0], [SEMANTIC_THRESHOLD - 0.01]).confidence
    sure_none = choose(rules, [0.0], [0.1]).confidence
    assert near is not None and far is not None and unsure is not None
    assert 0.5 <= near < far == 1.0
    assert 0.5 <= unsure < sure_none == 1.0  # type: ignore[operator]


def test_a_rule_is_indexed_by_intent_response_sentences_and_examples() -> None:
    texts = rule_texts(PARKING_LOT[0])
    assert texts[:3] == [
        "payment",
        PARKING_LOT[0].response,
        f"payment: {PARKING_LOT[0].response}",
    ]
    assert "Card or cash at the exit gate" in texts and "fees are hourly" in texts
    assert texts[-1] == "How do drivers pay when they leave?"
    assert rule_texts(PARKING_LOT[2]) == [
        "floors",
        "Three floors of 100 spots each.",
        "floors: Three floors of 100 spots each.",
    ]


@pytest.mark.parametrize(
    ("a", "b"), [("How many floors?", "how many  FLOORS"), ("Pay by card?!", "pay by card")]
)
def test_a_question_is_the_same_whatever_its_case_spacing_and_final_marks(a: str, b: str) -> None:
    assert normalise_question(a) == normalise_question(b)
