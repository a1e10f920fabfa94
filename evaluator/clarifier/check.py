"""`interview-rooms bank check`: rules whose examples another rule answers, rules with too
few examples, rubric keywords that are one generic word, and follow-up probes that are too few
or read like their rubric line. Each example is matched against
its question's rules with that example left out of the index, as a candidate's new phrasing
would be."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from msgspec.structs import replace

from domain.clarify import Bm25, choose, rule_texts
from domain.rubric import words
from evaluator.clarifier.semantic import QuestionIndex

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from domain.clarify import ClarificationRule
    from domain.questions import BankFollowup, RubricPoint
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


# Single words that say nothing about a design on their own: an answer to any question uses them.
GENERIC_WORDS = frozenset(
    {
        "get", "put", "set", "add", "use", "run", "data", "request", "response", "event", "min",
        "max", "list", "time", "system", "service", "user", "value", "key", "store", "call",
    }
)  # fmt: skip


def check_rubric(
    slug: str, rubric: Mapping[str, Sequence[RubricPoint]], generic: frozenset[str]
) -> list[Problem]:
    """Rubric keywords that are single generic words: they credit any answer."""
    problems = []
    for section, points in rubric.items():
        for point in points:
            for keyword in point.keywords:
                word = keyword.strip().lower()
                if " " not in word and (word in GENERIC_WORDS or word in generic):
                    detail = (
                        f"rubric keyword {keyword!r} ({section}: {point.point}) is one generic word"
                    )
                    problems.append(Problem(slug, point.point, detail))
    return problems


# A question's follow-up probes: enough to ask the session's system follow-ups from
# (MAX_SYSTEM_FOLLOWUPS), few enough to stay hand-written.
MIN_FOLLOWUPS, MAX_FOLLOWUPS = 3, 6
# A probe using this share of its rubric point's words (those longer than three letters) reads
# as the rubric line turned into a question: it tells the candidate the expected answer.
RUBRIC_ECHO_SHARE = 0.75


def check_followups(slug: str, followups: Sequence[BankFollowup]) -> list[Problem]:
    """Too few or too many probes, probes that are not questions or that echo their point."""
    problems = []
    if not MIN_FOLLOWUPS <= len(followups) <= MAX_FOLLOWUPS:
        detail = f"{len(followups)} follow-up probes (want {MIN_FOLLOWUPS}-{MAX_FOLLOWUPS})"
        problems.append(Problem(slug, "followups", detail))
    for probe in followups:
        point_words = {w for w in words(probe.point) if len(w) > 3}
        shared = point_words & set(words(probe.question))
        if not probe.question.rstrip().endswith("?"):
            detail = f"follow-up {probe.question!r} is not a question"
            problems.append(Problem(slug, probe.point, detail))
        elif len(point_words) >= 3 and len(shared) >= RUBRIC_ECHO_SHARE * len(point_words):
            detail = f"follow-up {probe.question!r} repeats its rubric point's words"
            problems.append(Problem(slug, probe.point, detail))
    return problems
