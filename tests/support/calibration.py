"""The evaluation calibration set (tests/data/evaluation_calibration.json) and the answers an
evaluator must not reward, built from it and from the bank: the test and the benchmark use both."""

from __future__ import annotations

import json
from pathlib import Path

from domain.assessment import AnswerContext, generic_keywords, question_profile
from domain.questions import BankQuestion
from domain.solution import SOLUTION_SECTIONS
from server.operations.seed import load_bank

CALIBRATION = Path(__file__).resolve().parent.parent / "data" / "evaluation_calibration.json"
BANK: dict[str, BankQuestion] = {question.slug: question for question, _ in load_bank()}
PROFILES = tuple(
    question_profile(
        q.slug, q.title, q.description, q.rubric, [r.response for r in q.clarification_rules]
    )
    for q in BANK.values()
)
GENERIC = generic_keywords([q.rubric for q in BANK.values()])
Answer = dict[str, str]


def context(question: BankQuestion, answer: Answer) -> AnswerContext:
    language = answer.get("language") or "python"
    return AnswerContext(
        question.slug, question.title, question.description, language, PROFILES, GENERIC
    )


def load() -> dict[str, object]:
    with CALIBRATION.open(encoding="utf-8") as data:
        loaded: dict[str, object] = json.load(data)
    return loaded


def kinds(slug: str) -> dict[str, Answer]:
    """Every kind of answer to one calibration question, strongest first by intent."""
    data = load()
    questions: dict[str, dict[str, Answer]] = data["questions"]  # type: ignore[assignment]
    question, own = BANK[slug], questions[slug]
    strong = own["strong"]
    keywords = [k for points in question.rubric.values() for p in points for k in p.keywords]
    same_type = [o for o in questions if o != slug and BANK[o].type == question.type]
    return {
        "strong": strong,
        # An honest strong answer typed into one box.
        "wrong_section": {
            "functional_req": "\n\n".join(
                strong.get(s) or "" for s in SOLUTION_SECTIONS if s != "code"
            ),
            "code": strong.get("code") or "",
            "language": strong.get("language") or "python",
        },
        "weak": own["weak"],
        "keyword_list": {
            s: ", ".join(k for p in question.rubric.get(s, []) for k in p.keywords)
            for s in SOLUTION_SECTIONS
        },
        "keyword_box": {"functional_req": ", ".join(keywords)},
        "description_echo": {s: question.description for s in SOLUTION_SECTIONS},
        "boilerplate": data["boilerplate"],  # type: ignore[dict-item]
        **{f"off_topic:{o}": questions[o]["strong"] for o in same_type},
        "empty": {},
    }


def calibration_slugs() -> list[str]:
    questions: dict[str, object] = load()["questions"]  # type: ignore[assignment]
    return sorted(questions)
