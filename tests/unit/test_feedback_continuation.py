"""Following the feedback across attempts: a continuation is shown after the text the room has,
a model that starts over replaces it, and nothing is ever shown twice."""

from __future__ import annotations

import pytest

from evaluator.prompts import RESULT_DELIMITER
from evaluator.structured import RESTART_PROBE_CHARS, Feedback

LONG_START = "Your requirements are clear and you picked sensible entities. The API"


def run(shown: str, chunks: list[str]) -> tuple[list[tuple[bool, str]], Feedback]:
    """Feeds one attempt's chunks; returns the non-empty steps (restart, text) it produced."""
    feedback = Feedback(shown)
    assert feedback.begin() == shown
    steps = [feedback.feed(chunk) for chunk in chunks] + [feedback.finish()]
    return [(s.restart, s.text) for s in steps if s.text or s.restart], feedback


@pytest.mark.parametrize(
    ("shown", "chunks", "steps", "prose"),
    [
        # nothing shown: a first attempt streams as it comes
        ("", ["Good ", "work."], [(False, "Good "), (False, "work.")], "Good work."),
        # a continuation differs from the shown text's start at once: shown at once
        (
            LONG_START,
            [" section", " names"],
            [(False, " section"), (False, " names")],
            LONG_START + " section names",
        ),
        # a continuation that begins like the shown text, then parts from it
        (
            LONG_START,
            ["Your ", "API is thin."],
            [(False, "Your API is thin.")],
            LONG_START + "Your API is thin.",
        ),
        # the model started over: held until sure, then it replaces the shown text
        (
            LONG_START,
            [LONG_START[:20], LONG_START[20:], " section."],
            [(True, LONG_START), (False, " section.")],
            LONG_START + " section.",
        ),
        # a short shown text is recognised by all of it
        ("Short.", ["Sho", "rt. Then more."], [(True, "Short. Then more.")], "Short. Then more."),
        # the stream ends while the start is still undecided: it was a continuation
        (LONG_START, ["You"], [(False, "You")], LONG_START + "You"),
    ],
)
def test_each_attempt_shows_only_what_follows(
    shown: str, chunks: list[str], steps: list[tuple[bool, str]], prose: str
) -> None:
    got, feedback = run(shown, chunks)
    assert got == steps
    assert feedback.prose == prose and feedback.complete


def test_the_probe_decides_within_its_bound() -> None:
    shown = "x" * (RESTART_PROBE_CHARS * 2)
    feedback = Feedback(shown)
    feedback.begin()
    assert feedback.feed("x" * (RESTART_PROBE_CHARS - 1)).text == ""
    decided = feedback.feed("x")
    assert decided.restart and len(decided.text) == RESTART_PROBE_CHARS


def test_the_json_after_the_delimiter_is_held_back_and_the_answer_is_whole() -> None:
    got, feedback = run("Good ", ["work.\n", RESULT_DELIMITER, '\n{"score": 1}'])
    assert got == [(False, "work.\n")]
    assert feedback.structured == '\n{"score": 1}'
    assert feedback.answer == f'Good work.\n{RESULT_DELIMITER}\n{{"score": 1}}'


def test_a_broken_attempt_is_continued_by_the_next() -> None:
    feedback = Feedback()
    assert feedback.begin() == ""
    assert feedback.feed("Half of ").text == "Half of "
    assert not feedback.complete  # the stream broke here
    assert feedback.begin() == "Half of "
    assert feedback.feed("it.").text == "it."
    feedback.finish()
    assert feedback.prose == "Half of it."
