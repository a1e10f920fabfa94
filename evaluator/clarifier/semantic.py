"""The offline clarification matcher: sentence vectors of every rule's texts, the candidate's
question embedded on arrival, and `domain.clarify.choose` over the semantic and word scores.

A question's index (its rules' vectors) is built once per content of its rules, off the event
loop, and kept on disk under the data directory, so a restarted app answers at once. The first
session on a question warms its index (`prepare`) while the candidate reads the brief.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
from collections import OrderedDict
from typing import TYPE_CHECKING

import numpy as np

from domain.clarify import Bm25, choose, normalise_question, rule_texts
from evaluator.clarifier.embedding import MODEL_ID, Embedder

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from domain.clarify import ClarificationRule, Match

log = logging.getLogger("interview_rooms.clarifier")

# Texts embedded per model call while indexing: batching amortises the call, and short batches
# keep padding waste low.
INDEX_BATCH = 16
# Question vectors remembered: the same question is often asked again (double Enter, retries).
QUESTION_CACHE_ENTRIES = 2048


class QuestionIndex:
    """One question's rules as vectors (several texts per rule) plus their word index."""

    def __init__(self, rules: Sequence[ClarificationRule], vectors: np.ndarray) -> None:
        self.rules = list(rules)
        self.owners = np.array([i for i, rule in enumerate(rules) for _ in rule_texts(rule)])
        self.vectors = vectors
        self.bm25 = Bm25(rules)

    @classmethod
    def build(cls, rules: Sequence[ClarificationRule], embed: Embedder) -> QuestionIndex:
        texts = [text for rule in rules for text in rule_texts(rule)]
        batches = [embed(texts[i : i + INDEX_BATCH]) for i in range(0, len(texts), INDEX_BATCH)]
        return cls(rules, np.concatenate(batches) if batches else np.zeros((0, 384), np.float32))

    def similarities(self, vector: np.ndarray) -> list[float]:
        """Per rule, the best cosine between the question and any of the rule's texts."""
        best = np.full(len(self.rules), -1.0, np.float32)
        np.maximum.at(best, self.owners, self.vectors @ vector)
        return [float(score) for score in best]

    def match(self, text: str, vector: np.ndarray) -> Match:
        return choose(self.rules, self.bm25.scores(text), self.similarities(vector))


def fingerprint(rules: Sequence[ClarificationRule]) -> str:
    """Names an index: the model and every text it embeds (a rule edit builds a new one)."""
    digest = hashlib.sha256(MODEL_ID.encode())
    for rule in rules:
        for text in rule_texts(rule):
            digest.update(b"\x00" + text.encode())
    return digest.hexdigest()[:32]


class SemanticMatcher:
    """`rooms.matching.ClarificationMatcher` with the embedding model."""

    def __init__(
        self, cache_dir: Path | None = None, embedder: Callable[[], Embedder] = Embedder
    ) -> None:
        self._cache_dir = cache_dir
        self._make_embedder = embedder
        self._embedder: Embedder | None = None
        self._indexes: dict[str, asyncio.Task[QuestionIndex]] = {}
        self._questions: OrderedDict[str, np.ndarray] = OrderedDict()
        self._loading: asyncio.Lock = asyncio.Lock()

    async def start(self) -> None:
        """Loads the model (well under a second) without holding up the event loop."""
        await self._embed()

    async def close(self) -> None:
        for task in self._indexes.values():
            task.cancel()

    async def match(self, question_id: str, text: str, rules: Sequence[ClarificationRule]) -> Match:
        index = await self._index(rules)
        return index.match(text, await self._vector(text))

    async def prepare(self, question_id: str, rules: Sequence[ClarificationRule]) -> None:
        await self._index(rules)

    async def _embed(self) -> Embedder:
        async with self._loading:
            if self._embedder is None:
                self._embedder = await asyncio.to_thread(self._make_embedder)
                log.info("clarification model loaded (%s)", MODEL_ID)
        return self._embedder

    async def _vector(self, text: str) -> np.ndarray:
        key = normalise_question(text)
        if key not in self._questions:
            embed = await self._embed()
            self._questions[key] = (await asyncio.to_thread(embed, [text]))[0]
            while len(self._questions) > QUESTION_CACHE_ENTRIES:
                self._questions.popitem(last=False)
        self._questions.move_to_end(key)
        return self._questions[key]

    async def _index(self, rules: Sequence[ClarificationRule]) -> QuestionIndex:
        key = fingerprint(rules)
        task = self._indexes.get(key)
        if task is None or (task.done() and task.exception() is not None):
            task = self._indexes[key] = asyncio.create_task(self._load_or_build(key, rules))
        return await asyncio.shield(task)

    async def _load_or_build(self, key: str, rules: Sequence[ClarificationRule]) -> QuestionIndex:
        cached = self._cache_path(key)
        if cached is not None and cached.exists():
            with contextlib.suppress(OSError, ValueError):
                vectors = await asyncio.to_thread(np.load, cached)
                if len(vectors) == sum(len(rule_texts(rule)) for rule in rules):
                    return QuestionIndex(rules, vectors)
        embed = await self._embed()
        index = await asyncio.to_thread(QuestionIndex.build, rules, embed)
        if cached is not None:
            await asyncio.to_thread(_save, cached, index.vectors)
        return index

    def _cache_path(self, key: str) -> Path | None:
        return self._cache_dir / f"{key}.npy" if self._cache_dir is not None else None


def _save(path: Path, vectors: np.ndarray) -> None:
    """Writes the index atomically: a reader sees the old file or the whole new one."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        with partial.open("wb") as out:
            np.save(out, vectors)
        partial.replace(path)
    except OSError:  # a read-only data directory costs a rebuild next start, nothing more
        log.warning("could not cache the clarification index at %s", path, exc_info=True)
