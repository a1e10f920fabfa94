"""The question bank is complete and well-formed (pure: reads package data, no servers)."""

from __future__ import annotations

from collections import Counter

import pytest

from domain.questions import SOLUTION_SECTIONS, BankQuestion
from server.operations.seed import load_bank

BANK = [question for question, _ in load_bank()]
IDS = [question.slug for question in BANK]


def test_bank_has_at_least_twelve_of_each_type() -> None:
    counts = Counter(question.type for question in BANK)
    assert counts["LLD"] >= 12 and counts["HLD"] >= 12


def test_slugs_are_unique() -> None:
    assert len(set(IDS)) == len(IDS)


def test_some_questions_are_locked_and_some_coming_soon() -> None:
    assert any(q.is_locked for q in BANK) and any(q.is_coming_soon for q in BANK)
    assert sum(not q.is_locked and not q.is_coming_soon for q in BANK) >= 20


@pytest.mark.parametrize("question", BANK, ids=IDS)
def test_question_is_practisable(question: BankQuestion) -> None:
    assert len(question.description.split()) >= 80
    assert question.companies
    assert len(question.clarification_rules) >= 8
    assert len({rule.intent for rule in question.clarification_rules}) == len(
        question.clarification_rules
    )
    assert all(rule.keywords and rule.response for rule in question.clarification_rules)
    assert 10 <= question.durations.clarifying <= 3 * 3600
    assert 10 <= question.durations.design <= 3 * 3600
    filled = [section for section, points in question.rubric.items() if points]
    assert len(filled) >= 5
    assert all(point.keywords for points in question.rubric.values() for point in points)
    assert set(question.reference_solution) <= {*SOLUTION_SECTIONS, "language"}
    assert question.reference_solution.get("language") in {"go", "cpp", "java", "python"}
