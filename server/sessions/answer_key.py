"""What the human interviewer works from, and what the candidate learns from afterwards.

The **answer key** (interviewers only: staff, or invited by staff) holds the question's
clarification rules with their answers, a suggested answer for every clarification still
waiting for a person (with when the rules will answer it instead), the rubric, and the
reference solution once the candidate has submitted. The **model answer** (everyone in the
room, once the design phase is over) is the reference solution, by section.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import msgspec

from domain.clarify import lexical_match
from domain.commands import Role
from domain.phases import Phase
from domain.solution import SOLUTION_SECTIONS, section_label
from domain.timers import HUMAN_ANSWER_TIMEOUT_SECS
from server.errors import Conflict, Forbidden
from server.questions.service import find_question_row

if TYPE_CHECKING:
    from domain.clarify import ClarificationRule, Match
    from domain.state import RoomState
    from server.context import AppContext
    from server.sessions.service import Access

log = logging.getLogger("interview_rooms.sessions")

# Written sections are still being written in these phases: no reference solution yet.
_WRITING = frozenset({Phase.CLARIFYING, Phase.DESIGN})


class KeyRule(msgspec.Struct):
    intent: str
    answer: str
    examples: list[str]


class Suggestion(msgspec.Struct):
    """A clarification waiting for a person, and what the rules would answer."""

    clarification_id: str
    question: str
    suggested_answer: str
    rule_intent: str | None
    confidence: float | None
    # When the rules answer it if nobody does (Unix seconds).
    fallback_at: float


class RubricItem(msgspec.Struct):
    section: str
    label: str
    points: list[str]


class ModelSection(msgspec.Struct):
    section: str
    label: str
    text: str


class AnswerKey(msgspec.Struct):
    rules: list[KeyRule]
    pending: list[Suggestion]
    rubric: list[RubricItem]
    # After the candidate submitted (or the session ended): the reference solution.
    reference_solution: list[ModelSection] | None


class ModelAnswer(msgspec.Struct):
    sections: list[ModelSection]


def _json(raw: Any) -> Any:
    return msgspec.json.decode(raw) if isinstance(raw, str | bytes) else raw


def _model_sections(question: dict[str, Any]) -> list[ModelSection]:
    reference: dict[str, str] = _json(question["reference_solution"]) or {}
    return [
        ModelSection(section, section_label(section, question["type"]), reference[section])
        for section in SOLUTION_SECTIONS
        if reference.get(section)
    ]


async def _suggest(
    ctx: AppContext, question_id: str, text: str, rules: list[ClarificationRule]
) -> Match:
    if ctx.matcher is not None:
        try:
            return await ctx.matcher.match(question_id, text, rules)
        except Exception:  # the key still helps: the word matcher answers
            log.warning("the clarification matcher failed on the answer key", exc_info=True)
    return lexical_match(text, rules)


async def answer_key(ctx: AppContext, access: Access, state: RoomState) -> AnswerKey:
    if access.room_role != Role.OBSERVER:
        raise Forbidden("The answer key is for the interviewer.", code="forbidden")
    question = await find_question_row(str(access.session["question_id"]))
    rules = list(await ctx.rooms.rules(str(question["id"])))
    pending = []
    for asked in state.clarifications:
        if asked.answer is not None:
            continue
        match = await _suggest(ctx, str(question["id"]), asked.question, rules)
        pending.append(
            Suggestion(
                asked.id,
                asked.question,
                match.answer,
                match.intent,
                match.confidence,
                asked.asked_at + HUMAN_ANSWER_TIMEOUT_SECS,
            )
        )
    rubric: dict[str, list[dict[str, Any]]] = _json(question["rubric"]) or {}
    return AnswerKey(
        rules=[KeyRule(rule.intent, rule.response, list(rule.examples)) for rule in rules],
        pending=pending,
        rubric=[
            RubricItem(
                section,
                section_label(section, question["type"]),
                [point["point"] for point in points],
            )
            for section in SOLUTION_SECTIONS
            if (points := rubric.get(section))
        ],
        reference_solution=None if state.phase in _WRITING else _model_sections(question),
    )


async def model_answer(access: Access, state: RoomState) -> ModelAnswer:
    if state.phase in _WRITING:
        raise Conflict(
            "The model answer opens once the solution is submitted.", code="not_submitted"
        )
    question = await find_question_row(str(access.session["question_id"]))
    return ModelAnswer(sections=_model_sections(question))
