"""The offline assessment of a solution: rubric points credited where the answer states them.

A point counts fully only when a statement of its own section (prose, not a bare term) or the
code says it; in prose of another section it earns most of its credit; only in fragments (a
keyword list) a fifth. Statements that echo the question's description earn nothing, text
repeated across sections counts once, a keyword most of the bank's rubrics use counts half, and
an answer nearer to another bank question than the one asked is capped as off-topic. Every
credited point keeps the candidate's own statement, so the feedback can quote it.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Literal

import msgspec

from domain.code_facts import CodeFacts, classes_named_in, read_code
from domain.rubric import (
    GENERIC_KEYWORD_SHARE,
    PointScore,
    RubricScore,
    SectionScore,
    TextIndex,
    percent,
    words,
)
from domain.solution import SOLUTION_SECTIONS, section_label
from domain.statements import DescriptionEcho, Statement, is_list, read_section, share
from domain.topic import QuestionProfile, TopicIndex

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from domain.questions import RubricPoint

# An off-topic answer scores at most this: it may share words, it does not answer the question.
OFF_TOPIC_CAP = 10
# A statement whose words are mostly rubric words is a keyword list written as a sentence.
STUFFED_SHARE = 0.75
# A section this much fragments (or echo) is called out in the feedback.
FRAGMENT_NOTE_SHARE = 0.6
# Quotes in feedback are cut at a word boundary past this many characters.
QUOTE_CHARS = 120


class AnswerContext(msgspec.Struct, frozen=True):
    """What the assessment knows besides the rubric: the question and the bank around it."""

    slug: str = ""
    title: str = ""
    description: str = ""
    language: str = "python"
    bank: tuple[QuestionProfile, ...] = ()
    generic_keywords: frozenset[str] = frozenset()
    # "HLD" questions name their sections otherwise and write prose, not code, in `code`.
    question_type: str = "LLD"


class _Reading(msgspec.Struct):
    indexes: dict[str, dict[str, TextIndex]]  # kind -> section -> its statements of that kind
    statements: dict[str, list[Statement]]
    code: CodeFacts
    # Statements that already earned a point of another section: one sentence rarely states
    # several points that belong elsewhere, so each lends its credit once.
    lent: set[str] = msgspec.field(default_factory=set)


def _index(statements: Sequence[Statement]) -> TextIndex:
    return TextIndex("\n".join(s.text for s in statements))


def _read(
    solution: Mapping[str, str],
    context: AnswerContext,
    vocabulary: set[str],
    answers: Mapping[str, Sequence[str]],
) -> _Reading:
    echo, seen = DescriptionEcho(context.description), set[tuple[str, ...]]()
    indexes: dict[str, dict[str, TextIndex]] = {kind: {} for kind in ("prose", "short", "term")}
    statements: dict[str, list[Statement]] = {}
    code = read_code(solution.get("code") or "", context.language)
    for section in SOLUTION_SECTIONS:
        text = solution.get(section) or ""
        spoken = [answer for answer in answers.get(section, ()) if answer.strip()]
        if not text.strip() and not spoken:
            continue
        if section == "code":
            read = _code_lines(text, code, echo, vocabulary)
        else:
            read = [_stuffed(s, vocabulary) for s in read_section(text, echo, seen)]
        # Answers to follow-up questions are read as prose of the section they answer for
        # (never as code: they would stop the code from parsing).
        for answer in spoken:
            read += [_stuffed(s, vocabulary) for s in read_section(answer, echo, seen)]
        statements[section] = read
        for kind, by_section in indexes.items():
            by_section[section] = _index([s for s in read if s.kind == kind])
    return _Reading(indexes, statements, code)


def _code_lines(
    text: str, code: CodeFacts, echo: DescriptionEcho, vocabulary: set[str]
) -> list[Statement]:
    """Code that parses states what it implements; code that does not is read as terse lines,
    and a list of terms in the code box is still a list of terms."""
    kind: Literal["prose", "short"] = "prose" if code.parses else "short"
    out = []
    for line in (line.strip() for line in text.splitlines()):
        normalised = tuple(words(line))
        if not normalised:
            continue
        if echo.echoes(normalised):
            out.append(Statement(line, "echo", normalised))
        elif not code.parses and (is_list(line) or _mostly_rubric(normalised, vocabulary)):
            out.append(Statement(line, "term", normalised))
        else:
            out.append(Statement(line, kind, normalised))
    return out


def _mostly_rubric(normalised: tuple[str, ...], vocabulary: set[str]) -> bool:
    return sum(w in vocabulary for w in normalised) >= STUFFED_SHARE * len(normalised)


def _stuffed(statement: Statement, vocabulary: set[str]) -> Statement:
    if statement.kind != "prose":
        return statement
    if _mostly_rubric(statement.words, vocabulary):
        return msgspec.structs.replace(statement, kind="term")
    return statement


def _quote(statements: Sequence[Statement], keyword: str) -> str | None:
    """The first statement containing the keyword, as the candidate wrote it."""
    for statement in statements:
        if statement.kind in ("echo", "repeat"):
            continue
        if _statement_index(statement.text).find([keyword]):
            return statement.text
    return None


@functools.lru_cache(maxsize=4096)
def _statement_index(text: str) -> TextIndex:
    return TextIndex(text)


def _find(
    point: RubricPoint,
    indexes: Mapping[str, TextIndex],
    order: Sequence[str],
    generic: frozenset[str],
) -> tuple[str, str, bool] | None:
    """(section, keyword, generic) of the best keyword found, rare keywords first."""
    keywords = sorted(point.keywords, key=lambda k: k.lower() in generic)
    for section in order:
        index = indexes.get(section)
        if index is not None and (keyword := index.find(keywords)):
            return section, keyword, keyword.lower() in generic
    return None


def _score_point(
    point: RubricPoint, section: str, reading: _Reading, context: AnswerContext
) -> PointScore:
    others = [s for s in SOLUTION_SECTIONS if s != section]
    generic = context.generic_keywords
    for where, indexes, order in (
        ("section", reading.indexes["prose"], [section]),
        ("elsewhere", reading.indexes["prose"], others),
        ("short", reading.indexes["short"], [section, *others]),
        ("term", reading.indexes["term"], [section, *others]),
    ):
        found = _find(point, indexes, order, generic)
        if found is not None:
            at, keyword, is_generic = found
            quote = _quote(reading.statements.get(at, []), keyword)
            if where == "elsewhere" and quote is not None:
                if quote in reading.lent:
                    continue
                reading.lent.add(quote)
            return PointScore(point.point, where, keyword, quote, at, is_generic)  # type: ignore[arg-type]
    return PointScore(point.point, "missing")


def _notes(reading: _Reading, solution: Mapping[str, str], context: AnswerContext) -> list[str]:
    notes = []
    hld = context.question_type == "HLD"
    for section, statements in reading.statements.items():
        label = section_label(section, context.question_type)
        if share(statements, "echo") >= FRAGMENT_NOTE_SHARE:
            notes.append(
                f"{label} repeats the question's own description: no credit for the brief."
            )
        elif share(statements, "term") >= FRAGMENT_NOTE_SHARE:
            notes.append(f"{label} is mostly bare terms: say in sentences what the design does.")
        elif share(statements, "repeat") >= FRAGMENT_NOTE_SHARE:
            notes.append(f"{label} repeats text from another section; it counts once.")
    named = classes_named_in(solution.get("classes_and_relationships") or "")
    missing = sorted(n for n in named if n not in reading.code.classes)
    if reading.code.classes and missing and not hld:
        notes.append(f"Classes you name but your code does not define: {', '.join(missing[:6])}.")
    if (solution.get("code") or "").strip() and not reading.code.parses and not hld:
        notes.append(f"The code does not parse as {context.language}; it is read as plain text.")
    return notes


def assess(
    rubric: Mapping[str, Sequence[RubricPoint]],
    solution: Mapping[str, str],
    context: AnswerContext | None = None,
    answers: Mapping[str, Sequence[str]] | None = None,
) -> RubricScore:
    """Coverage of every rubric point, stated where it counts, with the gates applied;
    `answers` are the candidate's answers to follow-up questions, by the section they count in."""
    context = context or AnswerContext()
    vocabulary = {
        w for points in rubric.values() for p in points for k in p.keywords for w in words(k)
    }
    reading = _read(solution, context, vocabulary, answers or {})
    sections = []
    for section, points in rubric.items():
        if points:
            scored = [_score_point(point, section, reading, context) for point in points]
            sections.append(SectionScore(section, percent([p.credit for p in scored]), scored))
    score = percent([p.credit for s in sections for p in s.points])
    notes = _notes(reading, solution, context)
    stated = _stated_share(reading)
    placement = _off_topic(solution, context)
    if placement is not None:
        notes.insert(
            0,
            f"This answer fits another question, “{placement.title}”, better than the one asked "
            f"(“{context.title}”); it is scored as off-topic.",
        )
        score = min(score, OFF_TOPIC_CAP)
    return RubricScore(score, sections, notes, placement is not None, stated)


def _stated_share(reading: _Reading) -> float:
    every = [s for statements in reading.statements.values() for s in statements]
    total = sum(len(s.words) for s in every)
    credit = {"prose": 1.0, "short": 0.5}  # a terse line says something, less than a sentence
    return sum(len(s.words) * credit.get(s.kind, 0.0) for s in every) / total if total else 0.0


def _off_topic(solution: Mapping[str, str], context: AnswerContext) -> QuestionProfile | None:
    if not context.bank or not context.slug:
        return None
    answer = "\n".join(solution.get(section) or "" for section in SOLUTION_SECTIONS)
    return _topics(context.bank).place(context.slug, answer).nearest


@functools.lru_cache(maxsize=8)
def _topics(bank: tuple[QuestionProfile, ...]) -> TopicIndex:
    """The bank changes only when an admin edits it; its index is built once per version."""
    return TopicIndex(bank)


def quote_of(point: PointScore) -> str | None:
    """The quote as shown: the statement, cut at a word boundary when long."""
    if point.quote is None:
        return None
    if len(point.quote) <= QUOTE_CHARS:
        return point.quote
    return point.quote[:QUOTE_CHARS].rsplit(" ", 1)[0]


def question_profile(
    slug: str,
    title: str,
    description: str,
    rubric: Mapping[str, Sequence[RubricPoint]],
    rule_responses: Sequence[str] = (),
) -> QuestionProfile:
    """A question's own material, for telling which question an answer is about."""
    points = [f"{p.point} {' '.join(p.keywords)}" for ps in rubric.values() for p in ps]
    return QuestionProfile(slug, title, "\n".join([title, description, *points, *rule_responses]))


def generic_keywords(rubrics: Sequence[Mapping[str, Sequence[RubricPoint]]]) -> frozenset[str]:
    """Keywords the rubrics of many questions use: they say little about any one answer."""
    used: dict[str, int] = {}
    for rubric in rubrics:
        for keyword in {k.lower() for ps in rubric.values() for p in ps for k in p.keywords}:
            used[keyword] = used.get(keyword, 0) + 1
    floor = max(2, GENERIC_KEYWORD_SHARE * len(rubrics))
    return frozenset(k for k, n in used.items() if n >= floor)
