"""Builds the clarification matcher an app process runs, from what the server tells it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import httpx2
import openai

from evaluator.clarifier.model import ModelClassifier
from evaluator.clarifier.semantic import SemanticMatcher

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    import asyncpg

# Connecting to the model service should be quick; a slow one falls back to the offline matcher.
CONNECT_TIMEOUT_SECS = 2.0


@dataclass(frozen=True)
class ClarifierConfig:
    kind: Literal["model", "semantic", "lexical"]
    cache_dir: Path | None = None
    openai_api_key: str | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    model_timeout_secs: float = 4.0


class QuestionTitles:
    """Question titles by id, for the model's prompt; a title changes only by an admin's edit."""

    def __init__(self, pool: Callable[[], asyncpg.Pool]) -> None:
        self._pool = pool
        self._titles: dict[str, str] = {}

    async def __call__(self, question_id: str) -> str:
        if question_id not in self._titles:
            async with self._pool().acquire() as conn:
                title = await conn.fetchval(
                    "SELECT title FROM questions WHERE id = $1", question_id
                )
            self._titles[question_id] = str(title or "")
        return self._titles[question_id]


def make_matcher(
    config: ClarifierConfig, pool: Callable[[], asyncpg.Pool]
) -> SemanticMatcher | ModelClassifier | None:
    """The model (falling back to the embedding matcher), the embedding matcher, or None: the
    room's own word matcher."""
    if config.kind == "lexical":
        return None
    semantic = SemanticMatcher(config.cache_dir)
    if config.kind == "semantic" or not config.openai_api_key:
        return semantic
    client = openai.AsyncOpenAI(
        api_key=config.openai_api_key,
        base_url=config.openai_base_url,
        max_retries=0,
        timeout=httpx2.Timeout(config.model_timeout_secs, connect=CONNECT_TIMEOUT_SECS),
    )
    return ModelClassifier(
        client, config.openai_model, semantic, QuestionTitles(pool), config.model_timeout_secs
    )
