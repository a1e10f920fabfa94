"""The evaluation prompt: question, clarification log, every solution section and the rubric.

One streamed call answers in two parts: feedback prose for the candidate, which is streamed into
the room as it arrives, then `RESULT_DELIMITER` on its own line and the structured result as
one JSON object matching `VERDICT_SCHEMA`, which is held back, validated and stored.

A call that continues an answer whose beginning the room already shows (a worker taking over a
dead one's job, a retry after the stream broke) sends that beginning as the assistant's message
and asks for the rest (`continue_messages`): every OpenAI-compatible server takes that, where
prefilling the assistant's reply is an extension only some servers have.
"""

from __future__ import annotations

import json

import msgspec

from domain.assessment import AnswerContext
from domain.evaluation import VERDICT_SCHEMA
from domain.followups import Exchange, answers_by_section
from domain.questions import RubricPoint
from domain.solution import SECTION_LABELS, section_label
from domain.topic import QuestionProfile

RESULT_DELIMITER = "<<<EVALUATION_JSON>>>"
# The model sees at most this much of one section; the room already caps sections at 20k chars.
MAX_SECTION_PROMPT_CHARS = 12_000

SYSTEM_PROMPT = f"""You are a senior engineer running a system-design mock interview. \
Evaluate the candidate's written solution fairly and specifically, against the rubric.

Answer in exactly two parts:
1. Feedback for the candidate in Markdown prose: what is good, what is missing or wrong, and \
how to improve, section by section. Address the candidate as "you". Do not output JSON here.
2. Then a line containing only {RESULT_DELIMITER} followed by one JSON object (no code fence) \
that matches this JSON Schema:
{json.dumps(VERDICT_SCHEMA, separators=(",", ":"))}
"sections" maps solution section names ({", ".join(SECTION_LABELS)}) to a 0-100 score and a \
one-sentence comment. "criteria" has one entry per rubric key point (its "section" and \
"point" as listed) with a "level": "stated" when the answer states it in its own words (a \
sentence that says what the design does, or code that implements it), "partial" when it is \
only named, vague, or in another section, "missing" when absent; and a "quote": the exact \
words of the candidate's answer that show it, copied character for character (null when \
missing). A list of keywords, the question's description pasted back, or generic text \
states nothing. The candidate's answers to the interviewer's follow-up questions during the \
design are part of the answer: credit what they state as if written in the section the \
question is about (quotes may come from them). The overall score is computed from the \
levels, so judge each criterion honestly; quotes that are not in the answer are discarded."""

REPAIR_PROMPT = """The JSON after {delimiter} was not valid: {error}
Reply with only the corrected JSON object, nothing else."""
# After the assistant message holding the feedback the candidate has already seen: the call that
# takes over (another worker, or a retry after the stream broke) asks for the rest only.
CONTINUE_PROMPT = f"""Your answer above was cut off. Continue it exactly where it stops, \
mid-word if need be: do not repeat or restate anything above and do not start over. Finish the \
feedback, then the line containing only {RESULT_DELIMITER} and the JSON object, as instructed."""


class EvaluationInput(msgspec.Struct, frozen=True):
    """Everything the evaluator reads about one submitted solution."""

    question_title: str
    question_type: str
    difficulty: str
    description: str
    clarifications: list[tuple[str, str]]
    solution: dict[str, str]
    language: str
    rubric: dict[str, list[RubricPoint]]
    question_slug: str = ""
    # The bank's questions, to recognise an answer to another one; keywords many rubrics share.
    bank: list[QuestionProfile] = msgspec.field(default_factory=list)
    generic_keywords: list[str] = msgspec.field(default_factory=list)
    # The follow-up questions asked during design that the candidate answered.
    followups: list[Exchange] = msgspec.field(default_factory=list)

    def answers(self) -> dict[str, list[str]]:
        """The follow-up answers by the section they count in, as both evaluators credit them."""
        return answers_by_section(self.followups)

    def quotable(self) -> dict[str, str]:
        """What a quote may come from: the solution and the follow-up answers."""
        spoken = "\n".join(f.answer for f in self.followups)
        return {**self.solution, "followup_answers": spoken} if spoken else self.solution

    def answer_context(self) -> AnswerContext:
        return AnswerContext(
            slug=self.question_slug,
            title=self.question_title,
            description=self.description,
            language=self.language,
            question_type=self.question_type,
            bank=tuple(self.bank),
            generic_keywords=frozenset(self.generic_keywords),
        )


def _clarifications(pairs: list[tuple[str, str]]) -> str:
    if not pairs:
        return "(the candidate asked no clarifying questions)"
    return "\n".join(f"Q: {question}\nA: {answer}" for question, answer in pairs)


def _followups(exchanges: list[Exchange]) -> str:
    if not exchanges:
        return "(no follow-up questions were answered)"
    return "\n".join(
        f"Interviewer{f' (about {section_label(f.section)} [{f.section}])' if f.section else ''}: "
        f"{f.question}\nCandidate: {f.answer}"
        for f in exchanges
    )


def _solution(solution: dict[str, str], language: str) -> str:
    parts = []
    for section, label in SECTION_LABELS.items():
        text = solution.get(section, "").strip()[:MAX_SECTION_PROMPT_CHARS] or "(empty)"
        suffix = f" ({language})" if section == "code" else ""
        parts.append(f"### {label}{suffix} [{section}]\n{text}")
    return "\n\n".join(parts)


def _rubric(rubric: dict[str, list[RubricPoint]]) -> str:
    lines = []
    for section, points in rubric.items():
        lines.append(f"- {section_label(section)} [{section}]:")
        lines += [f"  - criterion: {point.point}" for point in points]
    return "\n".join(lines) or "(no rubric: judge against what a strong answer covers)"


def user_prompt(evaluation: EvaluationInput) -> str:
    return (
        f"# Question: {evaluation.question_title} "
        f"({evaluation.question_type}, {evaluation.difficulty})\n\n{evaluation.description}\n\n"
        f"# Clarifications\n{_clarifications(evaluation.clarifications)}\n\n"
        f"# Rubric: key points a strong answer covers\n{_rubric(evaluation.rubric)}\n\n"
        f"# The candidate's solution\n{_solution(evaluation.solution, evaluation.language)}\n\n"
        f"# Follow-up questions during the design, and the candidate's answers\n"
        f"{_followups(evaluation.followups)}"
    )


def messages(evaluation: EvaluationInput) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": user_prompt(evaluation)},
    ]


def continue_messages(evaluation: EvaluationInput, shown: str) -> list[dict[str, str]]:
    """Asks for the rest of an answer whose beginning, `shown`, the room already has."""
    return [
        *messages(evaluation),
        {"role": "assistant", "content": shown},
        {"role": "user", "content": CONTINUE_PROMPT},
    ]


def repair_messages(evaluation: EvaluationInput, answer: str, error: str) -> list[dict[str, str]]:
    """Asks for the JSON part again, without re-streaming feedback the room already has."""
    return [
        *messages(evaluation),
        {"role": "assistant", "content": answer},
        {"role": "user", "content": REPAIR_PROMPT.format(delimiter=RESULT_DELIMITER, error=error)},
    ]
