"""Benchmark of the offline evaluator (prints figures; not a pass/fail test).

    taskset -c 0 .venv/bin/python -m tests.perf.bench_rubric

The calibration table (every kind of answer to the 12 calibration questions, scored on the
asked question's rubric), the highest score any bank reference answer gets on another
question's rubric, and the time to assess a 3,000-word submission on one core.
"""

from __future__ import annotations

import statistics
import time

from domain.assessment import assess
from domain.solution import SOLUTION_SECTIONS
from tests.support.calibration import BANK, calibration_slugs, context, kinds

COLUMNS = ("strong", "wrong_section", "weak", "keyword_list", "keyword_box",
           "description_echo", "boilerplate", "off_topic", "empty")  # fmt: skip
RUNS = 30


def score(slug: str, answer: dict[str, str]) -> int:
    question = BANK[slug]
    return assess(question.rubric, answer, context(question, answer)).score


def table() -> None:
    print("question".ljust(24) + "".join(c[:9].rjust(10) for c in COLUMNS))
    for slug in calibration_slugs():
        scores = {kind: score(slug, answer) for kind, answer in kinds(slug).items()}
        off = max(v for k, v in scores.items() if k.startswith("off_topic"))
        row = [scores.get(c, off) for c in COLUMNS]
        print(slug.ljust(24) + "".join(str(v).rjust(10) for v in row))


def cross() -> None:
    worst = max(
        (score(other, dict(BANK[slug].reference_solution)), slug, other)
        for slug in BANK
        for other in BANK
        if other != slug
    )
    print(f"highest score of a reference answer on another question's rubric: {worst[0]} "
          f"({worst[1]} answered on {worst[2]})")  # fmt: skip


def speed() -> None:
    # Distinct text (repeated text is set aside early and would flatter the timing): the strong
    # answers of four questions, section by section.
    slugs = calibration_slugs()
    slug, answers = slugs[0], [kinds(s)["strong"] for s in slugs[:4]]
    big = {s: "\n".join(a.get(s) or "" for a in answers) for s in SOLUTION_SECTIONS}
    big["language"] = "python"
    words = sum(len(big[s].split()) for s in SOLUTION_SECTIONS)
    samples = []
    for i in range(RUNS):
        edited = {**big, "extra": big["extra"] + f" run {i}"}  # no cache can answer it
        started = time.perf_counter()
        score(slug, edited)
        samples.append((time.perf_counter() - started) * 1000)
    print(f"assess a {words}-word submission: median {statistics.median(samples):.0f} ms, "
          f"max {max(samples):.0f} ms over {RUNS} runs")  # fmt: skip


if __name__ == "__main__":
    table()
    cross()
    speed()
