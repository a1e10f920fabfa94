"""The offline feedback names sections as the candidate saw them: an HLD question's own names."""

from __future__ import annotations

from domain.assessment import AnswerContext, assess
from domain.rubric_feedback import feedback_chunks, verdict_from_rubric
from server.operations.seed import load_bank

BANK = {question.slug: question for question, _ in load_bank()}


def test_hld_feedback_uses_the_hld_section_names_and_no_code_notes() -> None:
    question = BANK["url-shortener"]
    assert question.type == "HLD"
    answer = {
        "entities": "links(code, url, created_at) in a key-value store",
        "code": "Hot codes: a cache in front of the store; IDs from a counter per shard.",
    }
    context = AnswerContext(
        question.slug, question.title, question.description, question_type="HLD"
    )
    score = assess(question.rubric, answer, context)
    text = "".join(feedback_chunks(score, verdict_from_rubric(score, "HLD"), "HLD"))
    assert "**Data model**" in text and "**Deep dives**" in text
    assert "**Entities**" not in text and "**Code**" not in text
    assert not any("does not parse" in note for note in score.notes)


def test_lld_feedback_keeps_the_lld_names() -> None:
    question = BANK["parking-lot"]
    score = assess(question.rubric, {"entities": "Lot, Floor, Spot, Ticket"})
    text = "".join(feedback_chunks(score, verdict_from_rubric(score)))
    assert "**Entities**" in text and "**Data model**" not in text
