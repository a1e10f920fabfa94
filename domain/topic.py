"""Which bank question an answer is about: TF-IDF over each question's own material (its
description, rubric points and keywords, clarification answers) and over the answer.

An answer nearest to another question than the one asked is off-topic, however many of the
asked question's keywords it happens to share: a good answer to a different question.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import TYPE_CHECKING

import msgspec

from domain.rubric import words

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

# The other question must be this much nearer (as a ratio of similarities) to call it off-topic:
# questions of one family share vocabulary, and a borderline answer keeps the benefit of doubt.
OFF_TOPIC_RATIO = 1.25
# Below this similarity to every question the answer says too little to place.
MIN_SIMILARITY = 0.05


class QuestionProfile(msgspec.Struct, frozen=True):
    slug: str
    title: str
    text: str  # what the question is about, in its own words


class Placement(msgspec.Struct, frozen=True):
    nearest: QuestionProfile | None  # None when the answer is on the asked question
    own_similarity: float
    nearest_similarity: float


def _vector(terms: Sequence[str], idf: Mapping[str, float]) -> dict[str, float]:
    counts = Counter(t for t in terms if t in idf)
    vector = {t: (1 + math.log(n)) * idf[t] for t, n in counts.items()}
    norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
    return {t: v / norm for t, v in vector.items()}


def _cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(t, 0.0) for t, v in a.items())


class TopicIndex:
    def __init__(self, profiles: Sequence[QuestionProfile]) -> None:
        self.profiles = list(profiles)
        documents = [words(p.text) for p in self.profiles]
        frequency = Counter(t for doc in documents for t in set(doc))
        count = len(documents)
        self._idf = {t: math.log((1 + count) / (1 + n)) + 1 for t, n in frequency.items()}
        self._vectors = [_vector(doc, self._idf) for doc in documents]

    def place(self, asked_slug: str, answer: str) -> Placement:
        """Whether the answer is nearer another question than the asked one."""
        vector = _vector(words(answer), self._idf)
        similarities = [_cosine(vector, v) for v in self._vectors]
        own = next(
            (s for p, s in zip(self.profiles, similarities, strict=True) if p.slug == asked_slug),
            0.0,
        )
        best = max(range(len(similarities)), key=similarities.__getitem__, default=None)
        if best is None or self.profiles[best].slug == asked_slug:
            return Placement(None, own, own)
        other = similarities[best]
        off = other >= MIN_SIMILARITY and other > OFF_TOPIC_RATIO * own
        return Placement(self.profiles[best] if off else None, own, other)
