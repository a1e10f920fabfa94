"""Matching a candidate's free-text clarification to a question's clarification rules.

Two signals, combined by one rule (``choose``):

- **semantic**: per rule, the highest cosine similarity between the question and any of the
  rule's texts (``rule_texts``: intent, response and its sentences, the example phrasings),
  from an embedding model the caller runs (``evaluator.clarifier``); this module only sees the
  numbers;
- **lexical**: BM25 of the question against one document per rule (intent and keywords
  weighted twice, examples and response once), Snowball stems, word rarity counted across that
  question's own rules only, so a word every rule uses says nothing.

score = semantic + LEXICAL_WEIGHT * lexical; the top rule answers when its score reaches
``SEMANTIC_THRESHOLD``, else the neutral answer. Without an embedding model the lexical score
decides alone against ``LEXICAL_THRESHOLD``. The parameters were chosen on one half of the
development set (by question) and measured on the other: docs/clarifications.md.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from typing import TYPE_CHECKING, Any, Literal

import msgspec
import snowballstemmer

if TYPE_CHECKING:
    from collections.abc import Sequence

NEUTRAL_ANSWER = "That's your call — state your assumption and carry on."

# Semantic similarity dominates; the word signal breaks near-ties and rescues exact terms.
LEXICAL_WEIGHT = 0.05
# Below this combined score no rule is close enough: the candidate states an assumption.
SEMANTIC_THRESHOLD = 0.77
# Without the model, a BM25 score this high is needed (two or three rare shared stems).
LEXICAL_THRESHOLD = 4.75
# Scores this far either side of the threshold map to confidence 0 / 1 (a monotone scale for
# reading logs and sorting, not a probability).
CONFIDENCE_SPREAD = 0.15
LEXICAL_CONFIDENCE_SPREAD = 3.0
BM25_K1 = 1.2
BM25_B = 0.5
FIELD_WEIGHTS = (("intent", 2), ("keywords", 2), ("examples", 1), ("response", 1))
# A response sentence shorter than this is not worth a vector of its own.
MIN_SENTENCE_WORDS = 2

# Function words plus the filler of interview questions ("do we need to support ...").
# fmt: off
STOP_WORDS = frozenset({
    "a", "an", "the", "is", "are", "was", "were", "be", "been", "being", "am", "do", "does",
    "did", "doing", "done", "should", "would", "could", "can", "will", "shall", "may", "might",
    "must", "i", "we", "you", "it", "they", "he", "she", "there", "this", "that", "these",
    "those", "what", "which", "who", "whom", "whose", "how", "when", "where", "why", "of",
    "to", "in", "on", "at", "for", "with", "by", "from", "about", "as", "into", "per", "and",
    "or", "but", "if", "so", "than", "then", "my", "our", "your", "its", "me", "us", "them",
    "their", "any", "some", "all", "each", "also", "just", "not", "no", "yes", "ok", "okay",
    "need", "needs", "have", "has", "had", "want", "like", "kind", "kinds", "type", "types",
    "sort", "sorts", "support", "handle", "consider", "assume", "allow", "please", "system",
    "design", "question", "right", "correct", "fine", "sure", "ll", "m", "s", "t", "re", "ve",
    "d", "isn", "don", "doesn", "didn", "else", "etc", "e", "g", "eg", "ie", "one", "thing",
    "things", "way", "get", "got", "gets", "go", "goes", "going", "make", "makes", "let",
    "lets", "say", "says", "much", "many", "more", "most", "very", "really", "actually",
    "basically", "roughly", "around", "something", "anything", "everything", "someone",
    "anyone", "dont", "doesnt", "didnt", "isnt", "arent", "cant", "wont", "im", "ive", "youre",
    "thats", "whats",
})
# fmt: on
_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")
_SENTENCE = re.compile(r"(?<=[.;!?])\s+(?=[A-Z0-9])|;\s+")
# A Snowball stemmer keeps state between calls, so each thread has its own (indexes are built
# in worker threads, several at once).
_STEMMERS = threading.local()


def _stemmer() -> Any:
    stemmer = getattr(_STEMMERS, "english", None)
    if stemmer is None:
        stemmer = _STEMMERS.english = snowballstemmer.stemmer("english")
    return stemmer


class ClarificationRule(msgspec.Struct, frozen=True):
    intent: str
    keywords: tuple[str, ...]
    response: str
    examples: tuple[str, ...] = ()


class Match(msgspec.Struct, frozen=True):
    """What the interviewer answers a clarifying question with, and why.

    The answer is always a rule's own response or the neutral answer: the interviewer never
    invents a requirement."""

    answer: str
    intent: str | None  # the rule answered; None for the neutral answer
    # 0..1: how sure the matcher is of `intent` (or that no rule applies); None when it cannot say
    confidence: float | None
    method: Literal["lexical", "semantic", "model"]


def normalise_question(text: str) -> str:
    """The text as a cache key: case, spacing and trailing punctuation do not matter."""
    return " ".join(text.lower().split()).rstrip("?!. ")


def terms(text: str) -> list[str]:
    """Lower-case words without stop words, Snowball-stemmed ("notes" and "not" stay apart)."""
    words = _WORD.findall(text.lower().replace("'", ""))
    stem = _stemmer().stemWord
    return [stem(word) for word in words if word not in STOP_WORDS]


def rule_texts(rule: ClarificationRule) -> list[str]:
    """What the semantic signal compares a question with, for one rule."""
    texts = [rule.intent, rule.response, f"{rule.intent}: {rule.response}"]
    sentences = [part.strip(" .;") for part in _SENTENCE.split(rule.response)]
    sentences = [s for s in sentences if len(s.split()) >= MIN_SENTENCE_WORDS]
    if len(sentences) > 1:
        texts += sentences
    return texts + list(rule.examples)


class Bm25:
    """BM25 over one document per rule; rarity is counted across these rules only."""

    def __init__(self, rules: Sequence[ClarificationRule]) -> None:
        self._docs = [_document(rule) for rule in rules]
        count = len(self._docs)
        frequency = Counter(term for doc in self._docs for term in doc)
        self._idf = {
            term: math.log(1 + (count - n + 0.5) / (n + 0.5)) for term, n in frequency.items()
        }
        lengths = [sum(doc.values()) for doc in self._docs]
        average = sum(lengths) / count if count else 1.0
        self._norms = [BM25_K1 * (1 - BM25_B + BM25_B * length / average) for length in lengths]

    def scores(self, question: str) -> list[float]:
        asked = set(terms(question))
        return [
            sum(
                self._idf[term] * doc[term] * (BM25_K1 + 1) / (doc[term] + norm)
                for term in asked
                if term in doc
            )
            for doc, norm in zip(self._docs, self._norms, strict=True)
        ]


def _document(rule: ClarificationRule) -> Counter[str]:
    doc: Counter[str] = Counter()
    for field, weight in FIELD_WEIGHTS:
        value: str | tuple[str, ...] = getattr(rule, field)
        for text in (value,) if isinstance(value, str) else value:
            for term in terms(text):
                doc[term] += weight
    return doc


def _confidence(score: float, threshold: float, spread: float) -> float:
    """Sureness of the decision taken at `threshold`: of the rule above it, of none below."""
    distance = abs(score - threshold) / spread
    return round(min(1.0, 0.5 + distance / 2), 3)


def choose(
    rules: Sequence[ClarificationRule],
    lexical: Sequence[float],
    semantic: Sequence[float] | None = None,
) -> Match:
    """The answer the scores point to: the best rule at or above the threshold, else neutral.

    Ties go to the earlier rule."""
    if semantic is None:
        scores, threshold, spread = list(lexical), LEXICAL_THRESHOLD, LEXICAL_CONFIDENCE_SPREAD
        method: Literal["lexical", "semantic"] = "lexical"
    else:
        scores = [s + LEXICAL_WEIGHT * w for s, w in zip(semantic, lexical, strict=True)]
        threshold, spread, method = SEMANTIC_THRESHOLD, CONFIDENCE_SPREAD, "semantic"
    if not scores:
        return Match(NEUTRAL_ANSWER, None, None, method)
    best = max(range(len(scores)), key=lambda i: (scores[i], -i))
    confidence = _confidence(scores[best], threshold, spread)
    if scores[best] < threshold:
        return Match(NEUTRAL_ANSWER, None, confidence, method)
    return Match(rules[best].response, rules[best].intent, confidence, method)


def lexical_match(question: str, rules: Sequence[ClarificationRule]) -> Match:
    """The word signal alone, for rooms that run without the embedding model."""
    return choose(rules, Bm25(rules).scores(question))
