"""The offline rubric: normalisation, whole-phrase matching, coverage, and strong > weak."""

from __future__ import annotations

import msgspec
import pytest

from domain.assessment import assess
from domain.evaluation import Verdict, parse_verdict
from domain.questions import BankQuestion, RubricPoint
from domain.rubric import CREDIT, ELSEWHERE_CREDIT, TextIndex, stem, words
from domain.rubric_feedback import feedback_chunks, verdict_from_rubric
from server.operations.seed import load_bank

BANK: list[BankQuestion] = [question for question, _ in load_bank()]
# The reference answer must beat the weak one by at least this many points, on every question.
CLEAR_MARGIN = 30


@pytest.mark.parametrize(
    ("forms", "why"),
    [
        (("evict", "evicts", "evicted", "eviction", "evicting"), "verb forms and the noun"),
        (("cache", "caches", "caching", "cached"), "plural, gerund, past"),
        (("update", "updates", "updated", "updating"), "-ate verbs"),
        (("create", "creation", "created"), "-ate and -ation"),
        (("scale", "scalable", "scalability", "scaling"), "-able and -ability"),
        (("shard", "shards", "sharding", "sharded"), "plain forms"),
        (("process", "processes", "processing"), "a double s is not a plural"),
        (("status", "statuses"), "-us is not a plural"),
        (("map", "maps", "mapping", "mapped"), "doubled consonant"),
    ],
)
def test_word_forms_share_one_stem(forms: tuple[str, ...], why: str) -> None:
    assert len({stem(form) for form in forms}) == 1, why


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DB", words("database")),
        ("datastore", words("database")),
        ("expiry", words("expiration")),
        ("partition", words("shard")),
        ("LB", words("load balancer")),
        ("TTL", words("time to live")),
        ("moveToFront", words("move to front")),
        ("container/list", words("container list")),
        ("expiresAt", words("expires at")),
    ],
)
def test_synonyms_abbreviations_and_camel_case_normalise(text: str, expected: list[str]) -> None:
    assert words(text) == expected


@pytest.mark.parametrize(
    ("text", "keyword", "found"),
    [
        ("guarded by a mutex lock", "lock", True),
        ("the request may block", "lock", False),  # not part of a word
        ("a clock drives expiry", "lock", False),
        ("we unlock after the write", "lock", False),
        ("a hash map from key to node", "hashmap", True),  # spaced vs joined
        ("a HashMap from key to node", "hash map", True),
        ("calls MoveToFront on a hit", "move to front", True),
        ("move to front on a hit", "movetofront", True),
        ("O(1) get and put", "o(1)", True),
        ("O(log n) inserts", "o(1)", False),
        ("entries expire after their TTL", "time to live", True),
        ("evicted entries are counted", "eviction", True),
        ("the target of the redirect", "get", False),
        ("a listener is notified", "list", False),
        ("write to the DB first", "database", True),
        ("sharded by user id", "partition", True),
        ("", "anything", False),
    ],
)
def test_keywords_match_whole_phrases_only(text: str, keyword: str, found: bool) -> None:
    assert (TextIndex(text).find([keyword]) is not None) is found


RUBRIC = {
    "functional_req": [
        RubricPoint("Evict the least recently used entry", ["evict", "lru"]),
        RubricPoint("Entries expire", ["ttl", "expiry"]),
    ],
    "apis": [RubricPoint("Delete a key", ["delete", "invalidate"])],
}


@pytest.mark.parametrize(
    ("solution", "section_scores", "overall"),
    [
        ({}, {"functional_req": 0, "apis": 0}, 0),
        (
            {
                "functional_req": "The cache evicts the oldest entry first; every entry has a TTL.",
                "apis": "delete(key) removes one entry at once.",
            },
            {"functional_req": 100, "apis": 100},
            100,
        ),
        (  # stated in another section: most of the credit
            {
                "functional_req": "Entries are evicted in least recently used order.",
                "apis": "Each entry carries a TTL so that it expires on its own.",
            },
            {"functional_req": 100 * (1 + ELSEWHERE_CREDIT) / 2, "apis": 0},
            round(100 * (1 + ELSEWHERE_CREDIT) / 3),
        ),
        (  # a terse line says it without explaining; a list of terms only names it
            {"functional_req": "evicts", "apis": "get(k), put(k, v, ttl)"},
            {"functional_req": 100 * (CREDIT["short"] + CREDIT["term"]) / 2, "apis": 0},
            round(100 * (CREDIT["short"] + CREDIT["term"]) / 3),
        ),
        (
            {"functional_req": "a block of text with no keywords", "apis": "getter"},
            {"functional_req": 0, "apis": 0},
            0,
        ),
    ],
)
def test_a_point_counts_where_a_statement_says_it(
    solution: dict[str, str], section_scores: dict[str, float], overall: int
) -> None:
    score = assess(RUBRIC, solution)
    assert {s.section: s.score for s in score.sections} == {
        k: round(v) for k, v in section_scores.items()
    }
    assert score.score == overall


def test_credited_points_quote_the_candidates_own_statement() -> None:
    text = "The cache evicts the oldest entry first when it is full."
    score = assess(RUBRIC, {"functional_req": text})
    evicted = score.sections[0].points[0]
    assert (evicted.where, evicted.quote, evicted.section) == ("section", text, "functional_req")
    verdict = verdict_from_rubric(score)
    assert any(f"“{text}”" in strength for strength in verdict.strengths)


@pytest.mark.parametrize("question", BANK, ids=[q.slug for q in BANK])
def test_reference_answer_scores_clearly_above_the_weak_one(question: BankQuestion) -> None:
    strong = assess(question.rubric, question.reference_solution).score
    weak = assess(question.rubric, question.weak_solution).score
    assert strong >= weak + CLEAR_MARGIN, (question.slug, strong, weak)
    assert strong >= 70, "a reference answer is a passing answer"


@pytest.mark.parametrize("question", BANK[:5], ids=[q.slug for q in BANK[:5]])
def test_offline_verdict_is_schema_valid_and_readable(question: BankQuestion) -> None:
    for answer in (question.reference_solution, question.weak_solution):
        score = assess(question.rubric, answer)
        verdict = verdict_from_rubric(score)
        assert parse_verdict(msgspec.json.encode(verdict).decode()) == verdict
        text = "".join(feedback_chunks(score, verdict))
        assert f"{score.score}/100" in text and "offline rubric" in text
        assert verdict.strengths
    weak = verdict_from_rubric(assess(question.rubric, question.weak_solution))
    assert weak.weaknesses and weak.improvement_points, "a weak answer is told what is missing"


def test_offline_verdict_names_missing_points() -> None:
    verdict = verdict_from_rubric(
        assess(RUBRIC, {"functional_req": "It evicts the oldest one first."})
    )
    assert any("Entries expire" in w for w in verdict.weaknesses)
    assert any("Delete a key" in i for i in verdict.improvement_points)
    assert isinstance(verdict, Verdict)
