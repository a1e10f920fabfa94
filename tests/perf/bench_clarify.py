"""Benchmark of clarification matching (prints figures; not a pass/fail test).

    OMP_NUM_THREADS=1 taskset -c 0 .venv/bin/python -m tests.perf.bench_clarify

Accuracy on the development set, per half (parameters were chosen on the calibration half) and
in all: in-rule questions answered by their rule, no-rule questions given the neutral answer,
lines answered with a wrong rule; the worst confusions of the held-out half. Speed on one core:
model load, building one question's index, and one match (embed the question + score), p50 and
p99. Memory: the process's resident set before and after the model and every index.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence

from domain.clarify import ClarificationRule, Match, lexical_match
from evaluator.clarifier.embedding import MODEL_ID, Embedder
from evaluator.clarifier.semantic import QuestionIndex
from tests.support.clarify_eval import Figures, Line, bank_rules, dev_lines, halves, measure

Matcher = Callable[[str, str, Sequence[ClarificationRule]], Match]


def rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def report(name: str, figures: Figures) -> None:
    print(
        f"  {name:28} in-rule {figures.in_rule_pct:5.1f}% ({figures.in_rule}) · "
        f"neutral {figures.neutral_pct:5.1f}% ({figures.no_rule}) · "
        f"wrong rule {figures.wrong_rule_pct:4.1f}%"
    )


def accuracy(
    label: str, lines: list[Line], rules: dict[str, tuple[ClarificationRule, ...]], match: Matcher
) -> Figures:
    calibration, held_out = halves(list(rules))
    print(f"{label}:")
    report(
        "calibration half", measure([x for x in lines if x.question in calibration], rules, match)
    )
    held = measure([x for x in lines if x.question in held_out], rules, match)
    report("held-out half", held)
    report("all", measure(lines, rules, match))
    return held


def confusions(figures: Figures, worst: int) -> None:
    print(f"worst confusions of the held-out half (first {worst}):")
    for line, got in figures.wrong[:worst]:
        wanted, answered = line.intent or "neutral", got or "neutral"
        print(f"  [{line.question}] {line.text!r}: wanted {wanted}, got {answered}")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--worst", type=int, default=15)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}"
    )
    print(f"model: {MODEL_ID}; OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")
    lines, rules = dev_lines(), bank_rules()
    print(
        f"development set: {len(lines)} lines, {sum(x.intent is None for x in lines)} with no rule"
    )
    accuracy("words alone (no model)", lines, rules, lambda _, text, rs: lexical_match(text, rs))

    before = rss_mib()
    started = time.perf_counter()
    embed = Embedder()
    load_secs = time.perf_counter() - started
    build_secs: list[float] = []
    indexes: dict[str, QuestionIndex] = {}
    for slug, rs in rules.items():
        started = time.perf_counter()
        indexes[slug] = QuestionIndex.build(rs, embed)
        build_secs.append(time.perf_counter() - started)
    after = rss_mib()
    match_ms: list[float] = []

    def semantic(slug: str, text: str, _: Sequence[ClarificationRule]) -> Match:
        started = time.perf_counter()
        found = indexes[slug].match(text, embed([text])[0])
        match_ms.append((time.perf_counter() - started) * 1000)
        return found

    held = accuracy("semantic (model + words)", lines, rules, semantic)
    confusions(held, args.worst)
    print(f"model load: {load_secs:.2f} s")
    print(
        f"index per question: median {statistics.median(build_secs):.2f} s, "
        f"max {max(build_secs):.2f} s ({sum(build_secs):.0f} s for all {len(build_secs)})"
    )
    print(
        f"one match: p50 {percentile(match_ms, 0.5):.1f} ms, "
        f"p99 {percentile(match_ms, 0.99):.1f} ms over {len(match_ms)} matches"
    )
    print(
        f"resident memory: {before:.0f} MiB before the model, "
        f"{after:.0f} MiB with it and every index"
    )


if __name__ == "__main__":
    main()
