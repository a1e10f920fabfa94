"""Offline rubric scoring: how well a solution covers each rubric key point, without a model.

Text and keywords go through the same normalisation: camelCase and punctuation split words, words
are lower-cased, lightly stemmed (``evicts``/``evicted``/``eviction`` -> ``evict``) and mapped
through a small synonym table (``db`` -> ``database``, ``lb`` -> ``load balancer``). A keyword
matches a whole run of words, never part of a word (``lock`` is not in ``block``), and a compound
matches its spaced or joined spelling (``hash map`` = ``hashmap``, ``moveToFront`` =
``move to front``). A point found in its own section counts fully; found only in another
section it counts half, because the answer is there but not where the interviewer looks.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Literal

import msgspec

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence


# The longest keyword phrase in the bank is five words; six leaves room for expanded synonyms.
MAX_PHRASE_WORDS = 6
# A stem shorter than this is not cut further ("uses" -> "use", not "us").
MIN_STEM_CHARS = 3
# Credit for a point stated in another section than the rubric expects: most of it.
ELSEWHERE_CREDIT = 0.75
# A section scoring at least this much is praised; below the weak bound it is called out.
STRONG_SECTION_SCORE = 75
WEAK_SECTION_SCORE = 50

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_WORD = re.compile(r"[a-z0-9]+")
# Longest first; each pass removes one, and stemming repeats until nothing changes.
_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("abilities", ""),
    ("ability", ""),
    ("ibility", ""),
    ("ations", ""),
    ("ation", ""),
    ("ements", ""),
    ("ement", ""),
    ("ments", ""),
    ("ment", ""),
    ("ities", ""),
    ("ity", ""),
    ("ness", ""),
    ("ings", ""),
    ("ing", ""),
    ("ions", ""),
    ("ion", ""),
    ("able", ""),
    ("ible", ""),
    ("ers", ""),
    ("er", ""),
    ("ies", "y"),
    ("ed", ""),
    ("es", ""),
    ("ate", ""),
    ("s", ""),
    ("at", ""),  # after "ed"/"ion" went: "updated" -> "updat" -> "upd", like "update"
)
# "s" is not a plural ending after these: "access", "status", "analysis".
_NOT_PLURAL_BEFORE_S = frozenset("sui")
_KEEP_DOUBLE = frozenset("lsz")  # "poll", "access", "fizz" keep their double letter
_VOWELS = frozenset("aeiou")

# Words that mean the same here; the first of each group is the canonical spelling.
SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = (
    ("database", "db", "datastore"),
    ("identifier", "id"),
    ("message", "msg"),
    ("configuration", "configure", "config", "cfg"),
    ("asynchronous", "async"),
    ("synchronous", "sync"),
    ("request", "req"),
    ("response", "resp"),
    ("repository", "repo"),
    ("expire", "expiry", "expiration"),
    ("idempotent", "idempotency", "idempotence"),
    ("consistent", "consistency"),
    ("retry", "retried", "retrying"),
    ("notify", "notification", "notifier"),
    ("authenticate", "authentication", "auth", "authn"),
    ("authorize", "authorization", "authz"),
    ("replicate", "replica", "replication"),
    ("shard", "partition"),
    ("delete", "deletion", "remove", "removal"),
)
# Abbreviations that stand for a phrase; expanded in text and keywords alike.
ABBREVIATIONS: dict[str, str] = {
    "lb": "load balancer",
    "ttl": "time to live",
    "dlq": "dead letter queue",
    "k8s": "kubernetes",
    "pubsub": "publish subscribe",
    "cdn": "content delivery network",
}


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light suffix-stripping stem; the same word form always gives the same stem."""
    for _ in range(3):
        shorter = _strip_once(word)
        if shorter == word:
            break
        word = shorter
    return word


def _strip_once(word: str) -> str:
    for suffix, replacement in _SUFFIXES:
        if suffix == "s" and word[-2:-1] in _NOT_PLURAL_BEFORE_S:
            continue
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM_CHARS:
            word = word[: -len(suffix)] + replacement
            break
    if word.endswith("e") and len(word) > MIN_STEM_CHARS:
        word = word[:-1]
    doubled = len(word) > MIN_STEM_CHARS and word[-1] == word[-2]
    if doubled and word[-1] not in _KEEP_DOUBLE and word[-1] not in _VOWELS:
        word = word[:-1]
    return word


def _raw_words(text: str) -> list[str]:
    return _WORD.findall(_CAMEL_BOUNDARY.sub(" ", text).lower())


def _build_synonyms() -> dict[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {}
    for group in SYNONYM_GROUPS:
        canonical = (stem(group[0]),)
        for word in group:
            table[stem(word)] = canonical
    for short, phrase in ABBREVIATIONS.items():
        table[stem(short)] = tuple(stem(w) for w in _raw_words(phrase))
    return table


SYNONYMS = _build_synonyms()


def words(text: str) -> list[str]:
    """Normalised words: split, lower-cased, stemmed, synonyms mapped to one spelling."""
    out: list[str] = []
    for raw in _raw_words(text):
        stemmed = stem(raw)
        out.extend(SYNONYMS.get(stemmed, (stemmed,)))
    return out


def _forms(raw: list[str]) -> set[str]:
    """A phrase's spaced form and its joined form ("hash map" and "hashmap" meet)."""
    spaced = " ".join(words(" ".join(raw)))
    return {spaced, stem("".join(raw))}


class TextIndex:
    """Every run of up to MAX_PHRASE_WORDS words of a text, for whole-phrase keyword lookups."""

    def __init__(self, text: str) -> None:
        raw = _raw_words(text)
        self._phrases: set[str] = set()
        normalised = words(text)
        for size in range(1, MAX_PHRASE_WORDS + 1):
            for start in range(len(normalised) - size + 1):
                self._phrases.add(" ".join(normalised[start : start + size]))
            for start in range(len(raw) - size + 1):
                self._phrases.add(stem("".join(raw[start : start + size])))

    def find(self, keywords: Iterable[str]) -> str | None:
        """The first keyword the text contains as a whole phrase, else None."""
        for keyword in keywords:
            raw = _raw_words(keyword)
            if raw and _forms(raw) & self._phrases:
                return keyword
        return None


Where = Literal["section", "elsewhere", "short", "term", "missing"]
# Credit by where the point was stated: in prose (or code) of its own section, in prose of
# another section (the answer is there, though not where the interviewer looks), only in terse
# lines (said, not explained), only in lists of terms (named, not said), or nowhere.
CREDIT: dict[Where, float] = {
    "section": 1.0,
    "elsewhere": ELSEWHERE_CREDIT,
    "short": 0.4,
    "term": 0.05,
    "missing": 0.0,
}
# A keyword the rubrics of this share of the bank's questions use proves little on its own.
GENERIC_KEYWORD_SHARE = 0.3
GENERIC_CREDIT = 0.5


class PointScore(msgspec.Struct, frozen=True):
    point: str
    where: Where
    keyword: str | None = None
    quote: str | None = None  # the candidate's statement that covers it, as written
    section: str | None = None  # where the quote is
    generic: bool = False  # covered only by a keyword most rubrics use

    @property
    def credit(self) -> float:
        return CREDIT[self.where] * (GENERIC_CREDIT if self.generic else 1.0)


class SectionScore(msgspec.Struct, frozen=True):
    section: str
    score: int
    points: list[PointScore]


class RubricScore(msgspec.Struct, frozen=True):
    score: int
    sections: list[SectionScore]
    notes: list[str] = msgspec.field(default_factory=list)  # why the score is held down
    off_topic: bool = False
    # The share of the answer's words in statements that say something (prose or working code;
    # terse lines count half).
    stated_share: float = 0.0


def percent(credits: Sequence[float]) -> int:
    return round(100 * sum(credits) / len(credits)) if credits else 0
