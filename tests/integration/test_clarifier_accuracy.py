"""The interviewer answers clarifying questions as people ask them: measured on the whole
development set, each matcher stays above its measured floor (docs/clarifications.md has the
figures, the held-out half and how they were made)."""

from __future__ import annotations

from collections.abc import Sequence

from domain.clarify import ClarificationRule, Match, lexical_match
from evaluator.clarifier.embedding import Embedder
from evaluator.clarifier.semantic import QuestionIndex
from tests.support.clarify_eval import Figures, bank_rules, dev_lines, measure

# Floors a little under the measured figures (semantic 91.7 / 91.3 / 3.0; words alone
# 80.1 / 87.0 / 4.5), so noise passes and a real regression does not.
SEMANTIC_FLOORS = (90.0, 89.0, 4.0)
LEXICAL_FLOORS = (77.0, 84.0, 6.0)


def assert_floors(figures: Figures, floors: tuple[float, float, float]) -> None:
    in_rule, neutral, wrong = floors
    summary = (
        f"in-rule {figures.in_rule_pct:.1f}%, neutral {figures.neutral_pct:.1f}%, "
        f"wrong rule {figures.wrong_rule_pct:.1f}%"
    )
    assert figures.in_rule_pct >= in_rule, summary
    assert figures.neutral_pct >= neutral, summary
    assert figures.wrong_rule_pct <= wrong, summary


def test_the_development_set_covers_the_bank() -> None:
    lines, rules = dev_lines(), bank_rules()
    assert len(lines) >= 600
    assert sum(line.intent is None for line in lines) / len(lines) >= 0.2
    asked = {(line.question, line.intent) for line in lines if line.intent}
    assert asked == {(slug, rule.intent) for slug, rs in rules.items() for rule in rs}


def test_the_semantic_matcher_stays_above_its_floor() -> None:
    embed, rules = Embedder(), bank_rules()
    indexes = {slug: QuestionIndex.build(rs, embed) for slug, rs in rules.items()}

    def match(slug: str, text: str, _: Sequence[ClarificationRule]) -> Match:
        return indexes[slug].match(text, embed([text])[0])

    assert_floors(measure(dev_lines(), rules, match), SEMANTIC_FLOORS)


def test_the_word_matcher_alone_stays_above_its_floor() -> None:
    figures = measure(dev_lines(), bank_rules(), lambda _, text, rs: lexical_match(text, rs))
    assert_floors(figures, LEXICAL_FLOORS)
