"""Matching a candidate's free-text clarification to a question's clarification rules.

Deliberately simple and deterministic: bag of crude stems, no ML. A stem scores by how few
rules mention it (a word every rule uses says nothing), a multi-word keyword found whole
scores a bonus, and below ``MIN_SCORE`` the candidate gets ``NEUTRAL_ANSWER``.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING, Literal

import msgspec

if TYPE_CHECKING:
    from collections.abc import Sequence

NEUTRAL_ANSWER = "That's your call — state your assumption and carry on."

# A stem mentioned by two rules (weight 1/2) still counts; one shared by three or more needs
# company before it can pick a rule.
MIN_SCORE = 0.5
# Per stem of a multi-word keyword found whole, on top of its stems' own weight.
PHRASE_BONUS = 1.0
# Shorter stems collide too often ("us" from "uses" vs "us" the pronoun).
MIN_STEM_CHARS = 3

# Function words plus the filler of interview questions ("do we need to support ...").
# fmt: off
STOP_WORDS = frozenset({
    "a", "an", "the", "is", "are", "was", "were", "be", "been", "being", "do", "does", "did",
    "doing", "should", "would", "could", "can", "will", "shall", "may", "might", "must", "i",
    "we", "you", "it", "they", "he", "she", "there", "this", "that", "these", "those", "what",
    "which", "who", "whom", "how", "when", "where", "why", "of", "to", "in", "on", "at", "for",
    "with", "by", "from", "about", "as", "into", "per", "and", "or", "but", "if", "so", "than",
    "then", "my", "our", "your", "its", "me", "us", "them", "any", "some", "all", "each", "also",
    "just", "not", "no", "yes", "ok", "okay", "need", "needs", "have", "has", "had", "want",
    "like", "kind", "kinds", "type", "types", "sort", "sorts", "support", "handle", "consider",
    "assume", "allow", "please", "system", "design", "question",
})
# fmt: on

_SUFFIXES = (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""))
_ES_AFTER = ("s", "x", "z", "ch", "sh")  # "classes" -> "class", but "garages" -> "garage"
_KEEP_S_AFTER = ("ss", "us", "is")  # "class", "status", "analysis" are not plurals
_VOWELS = frozenset("aeiou")
_WORD = re.compile(r"[a-z0-9]+")


class ClarificationRule(msgspec.Struct, frozen=True):
    intent: str
    keywords: tuple[str, ...]
    response: str
    examples: tuple[str, ...] = ()


def _strip_suffix(word: str) -> str:
    for suffix, replacement in _SUFFIXES:
        if not word.endswith(suffix):
            continue
        stem = word[: -len(suffix)]
        if len(stem) + len(replacement) < MIN_STEM_CHARS:
            return word
        if suffix == "es" and not stem.endswith(_ES_AFTER):
            continue
        if suffix == "s" and word.endswith(_KEEP_S_AFTER):
            return word
        return stem + replacement
    return word


def stem(word: str) -> str:
    """Crude stem: drop one plural/tense suffix, a doubled final consonant and a final e."""
    word = _strip_suffix(word)
    last = word[-1:]
    if len(word) > MIN_STEM_CHARS and word[-2:-1] == last and last not in _VOWELS | {"l", "s", "z"}:
        word = word[:-1]  # "running" -> "runn" -> "run"
    if len(word) > MIN_STEM_CHARS and word.endswith("e"):
        word = word[:-1]  # "reserve", "reserved", "reserving" all -> "reserv"
    return word


def normalise(text: str) -> list[str]:
    """Lower-case, split on non-alphanumerics, drop stop words, stem."""
    return [stem(word) for word in _WORD.findall(text.lower()) if word not in STOP_WORDS]


class _Terms(msgspec.Struct, frozen=True):
    stems: frozenset[str]
    phrases: tuple[tuple[str, ...], ...]


def _terms(rule: ClarificationRule) -> _Terms:
    keyword_stems = [tuple(normalise(keyword)) for keyword in rule.keywords]
    stems = {s for group in keyword_stems for s in group} | set(normalise(rule.intent))
    return _Terms(frozenset(stems), tuple(group for group in keyword_stems if len(group) > 1))


def _score(question: set[str], terms: _Terms, rarity: Counter[str]) -> float:
    single = sum(1 / rarity[s] for s in question & terms.stems)
    phrases = sum(len(p) for p in terms.phrases if question.issuperset(p))
    return single + PHRASE_BONUS * phrases


def match_rule(question: str, rules: Sequence[ClarificationRule]) -> ClarificationRule | None:
    """The best-scoring rule at or above MIN_SCORE; ties go to the earlier rule."""
    asked = set(normalise(question))
    all_terms = [_terms(rule) for rule in rules]
    rarity: Counter[str] = Counter(s for terms in all_terms for s in terms.stems)
    best: ClarificationRule | None = None
    best_score = MIN_SCORE - 1e-9
    for rule, terms in zip(rules, all_terms, strict=True):
        score = _score(asked, terms, rarity)
        if score > best_score:
            best, best_score = rule, score
    return best


class Match(msgspec.Struct, frozen=True):
    """What the interviewer answers a clarifying question with, and why.

    The answer is always a rule's own response or the neutral answer: the interviewer never
    invents a requirement."""

    answer: str
    intent: str | None  # the rule answered; None for the neutral answer
    # 0..1: how sure the matcher is of `intent` (or that no rule applies); None when it cannot say
    confidence: float | None
    method: Literal["lexical", "semantic", "model"]


def answer_for(question: str, rules: Sequence[ClarificationRule]) -> tuple[str, str | None]:
    """(answer text, matched intent) — the neutral answer and None when nothing matches."""
    rule = match_rule(question, rules)
    if rule is None:
        return NEUTRAL_ANSWER, None
    return rule.response, rule.intent


def lexical_match(question: str, rules: Sequence[ClarificationRule]) -> Match:
    """The word-overlap matcher, for rooms that run without the semantic one; it has no
    calibrated confidence."""
    answer, intent = answer_for(question, rules)
    return Match(answer, intent, None, "lexical")


def normalise_question(text: str) -> str:
    """The text as a cache key: case, spacing and trailing punctuation do not matter."""
    return " ".join(text.lower().split()).rstrip("?!. ")
