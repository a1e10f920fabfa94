"""`interview-rooms bank check`: rules whose examples another rule answers, and rules with too
few examples. Each example is matched against its question's rules with that example left out
of the index, as a candidate's new phrasing would be."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from msgspec.structs import replace

from domain.clarify import Bm25, choose, rule_texts
from evaluator.clarifier.semantic import QuestionIndex

if TYPE_CHECKING:
    from collections.abc import Sequence

    from domain.clarify import ClarificationRule
    from evaluator.clarifier.embedding import Embedder

# Fewer phrasings than this and the matcher knows the rule mostly by its own wording.
MIN_EXAMPLES = 3


@dataclass(frozen=True)
class Problem:
    question: str
    intent: str
    detail: str
    # A confusion or a missing example must be fixed; an example that falls below the threshold
    # only says the rule is known by few phrasings.
    serious: bool = True


def check_question(slug: str, rules: Sequence[ClarificationRule], embed: Embedder) -> list[Problem]:
    problems = [
        Problem(slug, rule.intent, f"only {len(rule.examples)} examples (want {MIN_EXAMPLES}+)")
        for rule in rules
        if len(rule.examples) < MIN_EXAMPLES
    ]
    index = QuestionIndex.build(rules, embed)
    offset = 0
    for i, rule in enumerate(rules):
        texts = rule_texts(rule)
        first_example = offset + len(texts) - len(rule.examples)
        for j, example in enumerate(rule.examples):
            got = _left_out(index, rules, i, j, first_example + j, example, embed)
            if got != rule.intent:
                answered = f"rule {got!r}" if got else "the neutral answer"
                detail = f"example {example!r} gets {answered}"
                problems.append(Problem(slug, rule.intent, detail, serious=got is not None))
        offset += len(texts)
    return problems


def _left_out(
    index: QuestionIndex,
    rules: Sequence[ClarificationRule],
    rule_at: int,
    example_at: int,
    row: int,
    example: str,
    embed: Embedder,
) -> str | None:
    """The intent the example gets when neither index knows it."""
    kept = np.ones(len(index.vectors), bool)
    kept[row] = False
    vectors, owners = index.vectors[kept], index.owners[kept]
    scores = np.full(len(rules), -1.0, np.float32)
    np.maximum.at(scores, owners, vectors @ embed([example])[0])
    rule = rules[rule_at]
    others = rule.examples[:example_at] + rule.examples[example_at + 1 :]
    without = [*rules[:rule_at], replace(rule, examples=others), *rules[rule_at + 1 :]]
    return choose(rules, Bm25(without).scores(example), [float(s) for s in scores]).intent
