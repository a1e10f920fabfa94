"""The page's fold (web/js/state.js, run by node) against the room's own (domain/room.py).

Each log is a whole or partial session driven through the pure domain and framed as the server
sends it (rooms/frames.py). The candidate's page receives only the frames meant for everyone, as
the server sends them; its fold must equal `fold(log).state_for("candidate")`, and an observer's
must equal `fold(log)`, field for field of the room's state.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

import msgspec
import pytest

from domain import commands as c
from domain import events as e
from domain.clarify import ClarificationRule
from domain.commands import Actor, Role
from domain.room import decide, evolve_all, fold, start
from domain.state import RoomState
from domain.timers import HUMAN_ANSWER_TIMEOUT_SECS, due_timers
from rooms.frames import build_frame
from server.system.config import build_vocabulary
from tests.unit.samples import STORED_EVALUATION

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "support" / "fold_events.mjs"
NODE = shutil.which("node") or "/usr/bin/node"
T0 = 1_700_000_000.0
DURATIONS = {"clarifying": 300, "design": 1800}
CANDIDATE = Actor("u-cand", Role.CANDIDATE)
OBSERVER = Actor("u-obs", Role.OBSERVER)
SYSTEM = Actor("system", Role.SYSTEM)
RULES = (
    ClarificationRule("payment", ("payment", "pay", "card", "cash"), "Card or cash at exit."),
    ClarificationRule("floors", ("floor", "level"), "Three floors, 200 spots each."),
)
# Every field of the room's state; the page's state may add its own (names), never lack one.
SHARED_FIELDS = tuple(RoomState.__struct_fields__)


class Log:
    """A room driven through ``decide`` and ``evolve``, framed as the server frames it."""

    def __init__(
        self, mode: e.Mode = "timed", answer_mode: e.AnswerModeName = "rules", max_clar: int = 3
    ) -> None:
        durations = DURATIONS if mode == "timed" else {}
        self.events = start("s1", "q1", mode, durations, max_clar, T0, answer_mode)
        self.state = fold(self.events)
        self.frames: list[dict[str, Any]] = []
        for event in self.events:
            self.frames.append(self._frame(event, T0, CANDIDATE))

    def _frame(self, event: e.Event, now: float, actor: Actor) -> dict[str, Any]:
        frame: dict[str, Any] = msgspec.json.decode(
            build_frame(event, len(self.frames) + 1, now, actor.user_id)
        )
        return frame

    def do(self, command: c.Command, actor: Actor, now: float) -> Log:
        events = decide(self.state, command, actor, now, RULES)
        for event in events:
            self.frames.append(self._frame(event, now, actor))
        self.events += events
        self.state = evolve_all(self.state, events)
        return self

    def tick(self, now: float) -> Log:
        """Feeds the timer commands due at ``now``, as the server's poller does."""
        for command in due_timers(self.state, now):
            self.do(command, SYSTEM, now)
        return self

    def joined(self, now: float = T0 + 1) -> Log:
        self.do(c.Join(CANDIDATE.user_id, "candidate", "Cora"), SYSTEM, now)
        return self.do(c.Join(OBSERVER.user_id, "observer", "Ivan"), SYSTEM, now)

    def evaluated(self, now: float) -> Log:
        self.do(c.EvaluationStart("rubric"), SYSTEM, now)
        self.do(c.EvaluationDelta("## Overall\nSolid "), SYSTEM, now + 1)
        self.do(c.EvaluationDelta("entities, thin on **concurrency**."), SYSTEM, now + 2)
        return self.do(c.EvaluationComplete(STORED_EVALUATION), SYSTEM, now + 3)


def whole_session() -> Log:
    log = Log().joined()
    log.do(c.Clarify("Do we take card payment?"), CANDIDATE, T0 + 10)
    log.do(c.Clarify("How many floors?"), CANDIDATE, T0 + 20)
    log.do(c.Draft("functional_req", "park, pay, leave"), CANDIDATE, T0 + 30)
    log.do(c.Advance("design"), CANDIDATE, T0 + 60)
    log.do(c.Draft("entities", "Lot, Floor, Spot, Ticket"), CANDIDATE, T0 + 70)
    log.do(c.Draft("code", "class Lot:\n    pass"), CANDIDATE, T0 + 80)
    log.do(c.Draft("language", "go"), CANDIDATE, T0 + 81)
    log.do(c.Hint("Two gates can race for one spot."), OBSERVER, T0 + 90)
    log.do(c.Note("Good requirements; probe concurrency."), OBSERVER, T0 + 95)
    log.do(c.Submit(), CANDIDATE, T0 + 200)
    log.evaluated(T0 + 210)
    return log.do(c.Note("Would hire."), OBSERVER, T0 + 300)  # notes go on after the end


def human_answers() -> Log:
    log = Log(answer_mode="rules", max_clar=4).joined()
    log.do(c.AnswerMode("human"), OBSERVER, T0 + 5)
    log.do(c.Clarify("Can a driver lose the ticket?"), CANDIDATE, T0 + 10)
    log.do(c.Answer("c1", "Yes: charge the daily maximum."), OBSERVER, T0 + 20)
    log.do(c.Clarify("Do we take card payment?"), CANDIDATE, T0 + 30)
    log.tick(T0 + 30 + HUMAN_ANSWER_TIMEOUT_SECS)  # nobody answered: the rules do
    log.do(c.Clarify("Any reserved spots?"), CANDIDATE, T0 + 130)  # left pending
    log.do(c.Note("Slow to ask about scale."), OBSERVER, T0 + 140)
    return log.do(c.AnswerMode("rules"), OBSERVER, T0 + 150)


def clocks_run_out() -> Log:
    log = Log().joined()
    log.do(c.Clarify("How many floors?"), CANDIDATE, T0 + 10)
    log.tick(T0 + 250)  # the warning, 60 s before the clarifying deadline
    log.tick(T0 + 300)  # clarifying expires: design starts
    log.do(c.Draft("apis", "enter(vehicle) -> Ticket"), CANDIDATE, T0 + 400)
    log.tick(T0 + 300 + 1740)  # the design warning
    return log.tick(T0 + 300 + 1800)  # design expires: submitted by the timer


def evaluation_fails_then_succeeds() -> Log:
    log = clocks_run_out()
    now = T0 + 3000
    log.do(c.EvaluationStart("openai:gpt-4o-mini"), SYSTEM, now)
    log.do(c.EvaluationDelta("partial text"), SYSTEM, now + 1)
    log.do(c.EvaluationFail("the model timed out"), SYSTEM, now + 2)
    log.do(c.EvaluationStart("openai:gpt-4o-mini"), SYSTEM, now + 10)
    log.do(c.EvaluationDelta("half a "), SYSTEM, now + 11)
    log.do(c.EvaluationStart("openai:gpt-4o-mini"), SYSTEM, now + 20)  # a restarted job
    return log.evaluated(now + 21)


def abandoned_untimed() -> Log:
    log = Log(mode="untimed").joined()
    log.do(c.Draft("entities", "Cache, Node"), CANDIDATE, T0 + 10)
    log.do(c.Hint("Think about eviction order."), OBSERVER, T0 + 20)
    log.do(c.Leave(OBSERVER.user_id), SYSTEM, T0 + 30)
    log.do(c.Join("u-obs2", "observer", "Olga"), SYSTEM, T0 + 40)
    log.do(c.Note("Gave up early."), OBSERVER, T0 + 50)
    log.do(c.Abandon(), CANDIDATE, T0 + 60)
    return log.do(c.Leave(CANDIDATE.user_id), SYSTEM, T0 + 61)


def mid_design() -> Log:
    log = Log(max_clar=2).joined()
    log.do(c.Clarify("Do we take card payment?"), CANDIDATE, T0 + 10)
    log.do(c.Clarify("How many levels?"), CANDIDATE, T0 + 11)  # the budget is spent
    log.do(c.Advance("design"), CANDIDATE, T0 + 20)
    log.do(c.Draft("extra", "Trade-offs: none yet"), CANDIDATE, T0 + 30)
    log.do(c.Draft("extra", "Trade-offs: none yet"), CANDIDATE, T0 + 31)  # a no-op resend
    log.do(c.Draft("language", "java"), CANDIDATE, T0 + 32)
    log.do(c.Draft("code", "class Lot {}"), CANDIDATE, T0 + 33)
    log.do(c.Leave(CANDIDATE.user_id), SYSTEM, T0 + 40)
    return log.tick(T0 + 20 + 1750)  # warned, not expired


def follow_ups() -> Log:
    log = Log().joined()
    log.do(c.Advance("design"), CANDIDATE, T0 + 20)
    log.do(c.Draft("entities", "Lot, Floor, Spot"), CANDIDATE, T0 + 30)
    log.do(c.Followup("What if two gates race for one spot?"), OBSERVER, T0 + 40)
    log.do(c.FollowupAnswer("f1", "A lock per spot type."), CANDIDATE, T0 + 50)
    log.do(c.FollowupRequest(), CANDIDATE, T0 + 60)
    log.tick(T0 + 60)  # the due ask without its question changes nothing
    written = c.FollowupAsk("request", "What happens when the lot restarts?", "rubric", "extra")
    log.do(written, SYSTEM, T0 + 61)
    log.do(c.FollowupAnswer("f2", "Tickets are in Postgres."), CANDIDATE, T0 + 70)
    log.do(c.FollowupAsk("time", "Which spot does a truck get?", "model"), SYSTEM, T0 + 20 + 900)
    return log.do(c.Submit(), CANDIDATE, T0 + 1000)  # f3 stays unanswered


# name -> (how the log is built, whose page folds it)
CASES: dict[str, tuple[Callable[[], Log], str]] = {
    "whole-session-observer": (whole_session, "observer"),
    "whole-session-candidate": (whole_session, "candidate"),
    "human-answers-candidate": (human_answers, "candidate"),
    "human-answers-observer": (human_answers, "observer"),
    "clocks-run-out-observer": (clocks_run_out, "observer"),
    "evaluation-retried-candidate": (evaluation_fails_then_succeeds, "candidate"),
    "abandoned-untimed-observer": (abandoned_untimed, "observer"),
    "abandoned-untimed-candidate": (abandoned_untimed, "candidate"),
    "mid-design-candidate": (mid_design, "candidate"),
    "follow-ups-candidate": (follow_ups, "candidate"),
    "follow-ups-observer": (follow_ups, "observer"),
}


def frames_for(log: Log, role: str) -> list[dict[str, Any]]:
    """What the role's socket receives: candidates never get observers-only frames."""
    return [f for f in log.frames if role == "observer" or f["audience"] == "all"]


def shared(state: dict[str, Any]) -> dict[str, Any]:
    missing = [name for name in SHARED_FIELDS if name not in state]
    assert not missing, f"the page's state lacks {missing}"
    return {name: state[name] for name in SHARED_FIELDS}


@pytest.fixture(scope="module")
def page_states() -> dict[str, dict[str, Any]]:
    """Every case's log folded by web/js/state.js, in one node run."""
    if not Path(NODE).exists():
        pytest.skip(f"WEB FOLD TESTS SKIPPED: node is missing (looked for {NODE}).")
    logs = {name: frames_for(build(), role) for name, (build, role) in CASES.items()}
    stdin = {"vocabulary": msgspec.to_builtins(build_vocabulary()), "logs": list(logs.values())}
    done = subprocess.run(
        [NODE, str(SCRIPT)],
        input=json.dumps(stdin),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return dict(zip(logs, json.loads(done.stdout), strict=True))


@pytest.mark.parametrize("case", CASES)
def test_the_page_folds_a_log_as_the_room_does(
    case: str, page_states: dict[str, dict[str, Any]]
) -> None:
    build, role = CASES[case]
    log = build()
    room_state = fold(log.events).state_for(role)
    # As JSON, the way a snapshot of the same state reaches the page.
    room: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(room_state))
    assert shared(page_states[case]) == room


def test_the_logs_cover_what_the_room_can_hold() -> None:
    """The cases are not vacuous: between them they reach every event type and both views."""
    seen = {f["type"] for build, _ in CASES.values() for f in build().frames}
    assert seen == {cls.__struct_config__.tag for cls in get_args(e.Event)}
    observer = fold(whole_session().events)
    assert observer.notes and not observer.state_for("candidate").notes
    assert {role for _, role in CASES.values()} == {"candidate", "observer"}
