"""Measuring a clarification matcher on the development set (tests/data/clarifications_dev.jsonl):
questions written from each rule's intent and response, without its keywords or examples, 27 %
of them answerable by no rule. Used by the accuracy test and by the benchmark."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from domain.clarify import ClarificationRule, Match
from server.operations.seed import load_bank

DEV_SET = Path(__file__).resolve().parent.parent / "data" / "clarifications_dev.jsonl"
# The questions are split in two halves by question (this seed): parameters were chosen on
# CALIBRATION and the figures that count are the other half's.
SPLIT_SEED = 20240601


@dataclass(frozen=True)
class Line:
    question: str
    text: str
    intent: str | None


@dataclass
class Figures:
    in_rule: int = 0
    in_rule_correct: int = 0
    no_rule: int = 0
    no_rule_neutral: int = 0
    wrong: list[tuple[Line, str | None]] = field(default_factory=list)

    @property
    def in_rule_pct(self) -> float:
        return 100 * self.in_rule_correct / max(self.in_rule, 1)

    @property
    def neutral_pct(self) -> float:
        return 100 * self.no_rule_neutral / max(self.no_rule, 1)

    @property
    def wrong_rule_pct(self) -> float:
        """Lines answered with a rule that is not theirs, of all lines."""
        answered_wrong = [got for line, got in self.wrong if got is not None]
        return 100 * len(answered_wrong) / max(self.in_rule + self.no_rule, 1)

    def add(self, line: Line, got: str | None) -> None:
        if line.intent is None:
            self.no_rule += 1
            self.no_rule_neutral += got is None
        else:
            self.in_rule += 1
            self.in_rule_correct += got == line.intent
        if got != line.intent:
            self.wrong.append((line, got))


def bank_rules() -> dict[str, tuple[ClarificationRule, ...]]:
    return {question.slug: question.rules() for question, _ in load_bank()}


def dev_lines() -> list[Line]:
    with DEV_SET.open(encoding="utf-8") as lines:
        return [Line(**json.loads(line)) for line in lines if line.strip()]


def halves(slugs: Sequence[str]) -> tuple[set[str], set[str]]:
    """(calibration, held out): the fixed split by question."""
    order = sorted(slugs)
    random.Random(SPLIT_SEED).shuffle(order)
    return set(order[: len(order) // 2]), set(order[len(order) // 2 :])


def measure(
    lines: Sequence[Line],
    rules: dict[str, tuple[ClarificationRule, ...]],
    match: Callable[[str, str, Sequence[ClarificationRule]], Match],
) -> Figures:
    figures = Figures()
    for line in lines:
        figures.add(line, match(line.question, line.text, rules[line.question]).intent)
    return figures
