"""The room model: decide/evolve over whole sessions, errors, timers and privacy."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain import commands as c
from domain import events as e
from domain.clarify import NEUTRAL_ANSWER, ClarificationRule, Match, lexical_match
from domain.commands import MAX_TEXT_CHARS, Actor, Role
from domain.decide import COMMANDS as COMMAND_TABLE
from domain.decide import decode_client_command
from domain.errors import (
    AlreadyAnswered,
    ClarificationBudgetExhausted,
    DomainError,
    IllegalInPhase,
    InvalidCommand,
    RoleForbidden,
    UnknownClarification,
)
from domain.phases import TRANSITIONS, Phase
from domain.room import decide, evolve, evolve_all, fold, start
from domain.solution import DRAFT_PARTS, MAX_SECTION_CHARS
from domain.state import Remark, RoomState, clarifications_left
from domain.timers import TIMED_PHASES, due_timers
from tests.unit.samples import STORED_EVALUATION

T0 = 1_700_000_000.0
RESULT = STORED_EVALUATION
DURATIONS = {"clarifying": 300, "design": 1800}
CANDIDATE = Actor("u-cand", Role.CANDIDATE)
OBSERVER = Actor("u-obs", Role.OBSERVER)
SYSTEM = Actor("server", Role.SYSTEM)
RULES = (
    ClarificationRule(
        "payment", ("payment", "pay", "credit card", "cash"), "Card or cash at exit."
    ),
    ClarificationRule("vehicle_types", ("vehicle", "car", "motorcycle", "truck"), "Cars, bikes."),
    ClarificationRule("floors", ("floor", "level"), "Three floors."),
)


class Room:
    """Test harness: a room's log and state, advanced through ``decide`` and ``evolve``."""

    def __init__(
        self,
        mode: e.Mode = "timed",
        max_clarifications: int = 3,
        answer_mode: e.AnswerModeName = "rules",
    ) -> None:
        self.log: list[e.Event] = start(
            "s1", "q1", mode, DURATIONS, max_clarifications, T0, answer_mode
        )
        self.state = fold(self.log)

    def do(
        self,
        command: c.Command,
        actor: Actor,
        now: float = T0 + 1,
        matches: dict[str, Match] | None = None,
    ) -> list[e.Event]:
        events = decide(self.state, command, actor, now, RULES, matches)
        self.log += events
        self.state = evolve_all(self.state, events)
        return events

    def rejects(self, command: c.Command, actor: Actor, error: type[DomainError]) -> DomainError:
        before = msgspec.json.encode(self.state)
        with pytest.raises(error) as caught:
            decide(self.state, command, actor, T0 + 1, RULES)
        assert msgspec.json.encode(self.state) == before
        return caught.value


def types(events: Sequence[e.Event]) -> list[str]:
    return [e.event_type(event) for event in events]


def test_whole_session_through_every_phase() -> None:
    room = Room()
    assert (room.state.phase, room.state.deadline) == (Phase.CLARIFYING, T0 + 300)
    room.do(c.Join("u-cand", "candidate", "Cand"), SYSTEM)
    room.do(c.Join("u-obs", "observer", "Obs"), SYSTEM)
    asked = room.do(c.Clarify("Do we accept payment by credit card or cash?"), CANDIDATE, T0 + 10)
    assert asked == [
        e.ClarificationAsked(
            "c1", "Do we accept payment by credit card or cash?", "u-cand", T0 + 10
        ),
        e.ClarificationAnswered(
            "c1",
            "Card or cash at exit.",
            "rules",
            "payment",
            lexical_match("Do we accept payment by credit card or cash?", RULES).confidence,
        ),
    ]
    assert clarifications_left(room.state) == 2
    room.do(c.Draft("functional_req", "park, pay, leave"), CANDIDATE)
    moved = room.do(c.Advance("design"), CANDIDATE, T0 + 100)
    assert moved == [e.PhaseChanged("clarifying", "design", "candidate", T0 + 100 + 1800)]
    room.do(c.Draft("code", "class Lot: ..."), CANDIDATE)
    room.do(c.Draft("language", "go"), CANDIDATE)
    room.do(c.Hint("What about concurrency?"), OBSERVER)
    submitted = room.do(c.Submit(), CANDIDATE, T0 + 500)
    assert types(submitted) == ["solution.submitted", "phase.changed"]
    assert (room.state.phase, room.state.deadline) == (Phase.SUBMITTED, None)
    assert room.state.submitted_at == T0 + 500
    room.do(c.EvaluationStart("offline-rubric"), SYSTEM)
    room.do(c.EvaluationDelta("Good "), SYSTEM)
    room.do(c.EvaluationDelta("job."), SYSTEM)
    assert (room.state.phase, room.state.evaluation_text) == (Phase.EVALUATING, "Good job.")
    room.do(c.EvaluationComplete(RESULT), SYSTEM)
    assert (room.state.phase, room.state.evaluation) == (Phase.EVALUATED, RESULT)
    assert room.state.draft["code"] == "class Lot: ..." and room.state.draft["language"] == "go"
    assert fold(room.log) == room.state
    assert fold(e.decode_event(e.encode_event(ev)) for ev in room.log) == room.state
    snapshot = msgspec.json.encode(room.state)
    assert msgspec.json.decode(snapshot, type=RoomState) == room.state


def test_failed_evaluation_returns_to_submitted_and_can_be_retried() -> None:
    room = Room()
    room.do(c.Advance("design"), CANDIDATE)
    room.do(c.Submit(), CANDIDATE)
    room.do(c.EvaluationStart("openai"), SYSTEM)
    room.do(c.EvaluationDelta("partial"), SYSTEM)
    failed = room.do(c.EvaluationFail("timeout"), SYSTEM)
    assert failed == [
        e.EvaluationFailed("timeout"),
        e.PhaseChanged("evaluating", "submitted", "system", None),
    ]
    assert room.state.failure == "timeout"
    room.do(c.EvaluationStart("openai"), SYSTEM)
    assert room.state.phase == Phase.EVALUATING
    assert room.state.failure is None and room.state.evaluation_text == ""


def test_restarted_evaluation_job_begins_a_fresh_stream() -> None:
    room = Room()
    room.do(c.Advance("design"), CANDIDATE)
    room.do(c.Submit(), CANDIDATE)
    room.do(c.EvaluationStart("openai"), SYSTEM)
    room.do(c.EvaluationDelta("half a sent"), SYSTEM)
    assert room.do(c.EvaluationStart("openai"), SYSTEM) == [e.EvaluationStarted("openai")]
    assert room.state.evaluation_text == ""


@pytest.mark.parametrize("advance_first", [False, True])
def test_abandon_ends_the_session(advance_first: bool) -> None:
    room = Room()
    if advance_first:
        room.do(c.Advance("design"), CANDIDATE)
    src = room.state.phase
    events = room.do(c.Abandon(), CANDIDATE)
    assert events == [e.SessionAbandoned("u-cand"), e.PhaseChanged(src, "abandoned", "candidate")]
    room.rejects(c.Draft("extra", "late"), CANDIDATE, IllegalInPhase)
    assert room.do(c.Note("gave up early"), OBSERVER)  # interviewers still annotate


def test_budget_exhausted_on_one_past_the_max() -> None:
    room = Room(max_clarifications=2)
    room.do(c.Clarify("Cash?"), CANDIDATE)
    room.do(c.Clarify("Trucks?"), CANDIDATE)
    assert clarifications_left(room.state) == 0
    error = room.rejects(c.Clarify("Floors?"), CANDIDATE, ClarificationBudgetExhausted)
    assert error.code == "clarification_budget_exhausted"
    assert error.fields == {"used": 2, "max_clarifications": 2}
    assert [x.id for x in room.state.clarifications] == ["c1", "c2"]


def test_the_same_question_sent_twice_at_once_is_asked_once() -> None:
    room = Room(max_clarifications=3)
    first = room.do(c.Clarify("Do we take cash?"), CANDIDATE, T0 + 10)
    assert types(first) == ["clarification.asked", "clarification.answered"]
    assert room.do(c.Clarify("  do we take CASH "), CANDIDATE, T0 + 12) == []
    assert clarifications_left(room.state) == 2
    # Later, the same words are a new question (the candidate meant to ask again).
    again = room.do(c.Clarify("Do we take cash?"), CANDIDATE, T0 + 20)
    assert types(again) == ["clarification.asked", "clarification.answered"]
    assert clarifications_left(room.state) == 1


@pytest.mark.parametrize(
    ("command", "actor"),
    [
        (c.Note("candidate writes a note"), CANDIDATE),
        (c.Draft("code", "observer types code"), OBSERVER),
        (c.Answer("c1", "candidate answers itself"), CANDIDATE),
        (c.Clarify("server asks"), SYSTEM),
        (c.TimerExpire("clarifying"), CANDIDATE),
        (c.Join("u-x", "observer", "X"), OBSERVER),
        (c.EvaluationComplete(RESULT), CANDIDATE),
    ],
)
def test_roles_are_enforced(command: c.Command, actor: Actor) -> None:
    error = Room().rejects(command, actor, RoleForbidden)
    assert error.code == "role_forbidden"


def test_role_is_checked_before_phase() -> None:
    room = Room()
    room.do(c.Abandon(), CANDIDATE)
    room.rejects(c.Draft("code", "x"), OBSERVER, RoleForbidden)


def test_human_answer_then_timeout_is_a_no_op() -> None:
    room = Room(answer_mode="human")
    assert types(room.do(c.Clarify("Do we take cash?"), CANDIDATE)) == ["clarification.asked"]
    assert room.state.clarifications[0].answer is None
    room.do(c.Answer("c1", "Cash only."), OBSERVER)
    clarification = room.state.clarifications[0]
    assert (clarification.answer, clarification.answered_by) == ("Cash only.", "human")
    assert room.do(c.ClarificationTimeout("c1"), SYSTEM) == []
    assert room.rejects(c.Answer("c1", "again"), OBSERVER, AlreadyAnswered).code == (
        "clarification_answered"
    )
    room.rejects(c.Answer("c7", "who?"), OBSERVER, UnknownClarification)


def test_timeout_while_pending_answers_from_rules() -> None:
    room = Room(answer_mode="human")
    room.do(c.Clarify("Which vehicles fit?"), CANDIDATE)
    room.do(c.Clarify("Is there a cafe?"), CANDIDATE)
    matched = Match("Cars, bikes.", "vehicle_types", 0.8, "semantic")
    assert room.do(
        c.ClarificationTimeout("c1"), SYSTEM, matches={"Which vehicles fit?": matched}
    ) == [e.ClarificationAnswered("c1", "Cars, bikes.", "fallback", "vehicle_types", 0.8)]
    unmatched = room.do(c.ClarificationTimeout("c2"), SYSTEM)  # the word matcher decides
    assert unmatched == [
        e.ClarificationAnswered(
            "c2",
            NEUTRAL_ANSWER,
            "fallback",
            None,
            lexical_match("Is there a cafe?", RULES).confidence,
        )
    ]


def test_a_matchers_answer_is_used_as_given() -> None:
    room = Room()
    matched = Match("Three floors.", "floors", 0.93, "semantic")
    asked = room.do(
        c.Clarify("How tall is the garage?"),
        CANDIDATE,
        matches={"How tall is the garage?": matched},
    )
    assert asked[1] == e.ClarificationAnswered("c1", "Three floors.", "rules", "floors", 0.93)
    assert room.state.clarifications[0].confidence == 0.93


def test_answer_mode_switch() -> None:
    room = Room()
    assert room.do(c.AnswerMode("rules"), OBSERVER) == []
    assert room.do(c.AnswerMode("human"), OBSERVER) == [e.AnswerModeChanged("human", "u-obs")]
    assert types(room.do(c.Clarify("Cash?"), CANDIDATE)) == ["clarification.asked"]


def test_timer_expiry_is_exactly_once_and_ignores_stale_timers() -> None:
    room = Room()
    expire = c.TimerExpire("clarifying")
    assert room.do(expire, SYSTEM, T0 + 299) == []  # early: not yet due
    moved = room.do(expire, SYSTEM, T0 + 301)
    assert moved == [e.PhaseChanged("clarifying", "design", "timer", T0 + 301 + 1800)]
    assert room.do(expire, SYSTEM, T0 + 302) == []  # fired twice
    assert room.do(c.TimerWarn("clarifying"), SYSTEM, T0 + 303) == []  # stale phase


def test_warning_once_per_phase() -> None:
    room = Room()
    warn = c.TimerWarn("clarifying")
    assert room.do(warn, SYSTEM, T0 + 250) == [e.TimerWarning("clarifying", T0 + 300)]
    assert room.do(warn, SYSTEM, T0 + 251) == []
    room.do(c.Advance("design"), CANDIDATE, T0 + 260)
    assert room.state.warned is False


def test_design_expiry_auto_submits_the_draft() -> None:
    room = Room()
    room.do(c.Advance("design"), CANDIDATE, T0)
    room.do(c.Draft("apis", "POST /park"), CANDIDATE)
    events = room.do(c.TimerExpire("design"), SYSTEM, T0 + 1800)
    submitted, moved = events
    assert isinstance(submitted, e.SolutionSubmitted) and submitted.reason == "timer"
    assert submitted.draft["apis"] == "POST /park"
    assert moved == e.PhaseChanged("design", "submitted", "timer", None)


def test_untimed_room_never_times_out() -> None:
    room = Room(mode="untimed")
    assert room.state.deadline is None
    assert due_timers(room.state, T0 + 10**6) == []
    assert room.do(c.TimerExpire("clarifying"), SYSTEM, T0 + 10**6) == []


def test_notes_are_private_to_observers() -> None:
    room = Room()
    (note,) = room.do(c.Note("weak on APIs"), OBSERVER)
    (hint,) = room.do(c.Hint("consider APIs"), OBSERVER)
    assert (e.audience(note), e.audience(hint)) == ("observers", "all")
    assert room.state.state_for(Role.CANDIDATE).notes == ()
    assert room.state.state_for("candidate").hints == room.state.hints
    assert room.state.state_for(Role.OBSERVER) == room.state
    assert room.state.notes == (Remark("weak on APIs", "u-obs"),)
    assert [e.audience(ev) for ev in room.log].count("observers") == 1


def test_presence_join_is_idempotent() -> None:
    room = Room()
    assert len(room.do(c.Join("u-obs", "observer", "Obs"), SYSTEM)) == 1
    assert room.do(c.Join("u-obs", "observer", "Obs"), SYSTEM) == []
    assert room.do(c.Leave("u-obs"), SYSTEM) == [e.PresenceLeft("u-obs")]
    assert room.do(c.Leave("u-obs"), SYSTEM) == []
    assert room.state.presence == {}


def test_same_draft_text_twice_emits_once() -> None:
    room = Room()
    assert len(room.do(c.Draft("entities", "Spot"), CANDIDATE)) == 1
    assert room.do(c.Draft("entities", "Spot"), CANDIDATE) == []


@pytest.mark.parametrize(
    "command",
    [
        c.Draft("diagram", "boxes"),
        c.Draft("language", "rust"),
        c.Draft("code", "x" * (MAX_SECTION_CHARS + 1)),
        c.Clarify(""),
        c.Clarify("   "),
        c.Clarify("?" * (MAX_TEXT_CHARS + 1)),
        c.Clarify("nul \x00 inside"),
        c.Draft("apis", "GET /a\x00"),
        c.Advance("submitted"),
    ],
)
def test_invalid_candidate_fields(command: c.Command) -> None:
    assert Room().rejects(command, CANDIDATE, InvalidCommand).code == "invalid_command"


@pytest.mark.parametrize(
    "command", [c.Hint(""), c.Note("n" * (MAX_TEXT_CHARS + 1)), c.AnswerMode("robot")]
)
def test_invalid_observer_fields(command: c.Command) -> None:
    Room().rejects(command, OBSERVER, InvalidCommand)


def test_section_at_the_limit_is_accepted() -> None:
    assert Room().do(c.Draft("code", "x" * MAX_SECTION_CHARS), CANDIDATE)


@pytest.mark.parametrize(
    ("mode", "durations", "max_clarifications"),
    [
        ("timed", {"clarifying": 300}, 3),
        ("timed", {"clarifying": 5, "design": 300}, 3),
        ("timed", {"clarifying": 300, "design": 300, "submitted": 60}, 3),
        ("timed", DURATIONS, -1),
        ("sometimes", DURATIONS, 3),
    ],
)
def test_start_rejects_bad_settings(
    mode: e.Mode, durations: dict[str, int], max_clarifications: int
) -> None:
    with pytest.raises(InvalidCommand):
        start("s1", "q1", mode, durations, max_clarifications, T0)


def test_fold_needs_session_started_first() -> None:
    with pytest.raises(ValueError, match=r"session\.started"):
        fold([e.PresenceLeft("u")])


def test_client_decoder_accepts_client_commands_only() -> None:
    draft = decode_client_command(b'{"type":"draft","section":"code","text":"x"}')
    assert draft == c.Draft("code", "x")
    with pytest.raises(msgspec.ValidationError):
        decode_client_command(b'{"type":"timer_expire","phase":"design"}')


# ---------------------------------------------------------------- property test

QUESTIONS = ("Do we take cash?", "Trucks?", "How many floors?", "Weather?", "", "?" * 2001)
TEXTS = ("notes", "go", "python", "rust", "")
COMMON = (
    st.builds(c.Clarify, st.sampled_from(QUESTIONS)),
    st.builds(c.Advance, st.sampled_from(["design", "submitted"])),
    st.builds(c.Draft, st.sampled_from([*DRAFT_PARTS, "bogus"]), st.sampled_from(TEXTS)),
    st.just(c.Submit()),
    st.builds(c.Answer, st.sampled_from(["c1", "c2", "c3", "c9"]), st.sampled_from(TEXTS)),
    st.builds(c.Hint, st.sampled_from(TEXTS)),
    st.builds(c.Note, st.sampled_from(TEXTS)),
    st.builds(c.AnswerMode, st.sampled_from(["rules", "human", "robot"])),
    st.builds(
        c.Join,
        st.sampled_from(["u-cand", "u-obs"]),
        st.sampled_from(["candidate", "observer", "admin"]),
        st.just("Name"),
    ),
    st.builds(c.Leave, st.sampled_from(["u-cand", "u-obs"])),
    st.builds(c.TimerWarn, st.sampled_from(list(Phase))),
    st.builds(c.TimerExpire, st.sampled_from(list(Phase))),
    st.builds(c.ClarificationTimeout, st.sampled_from(["c1", "c2", "c9"])),
    st.builds(c.EvaluationStart, st.just("offline")),
    st.builds(c.EvaluationDelta, st.sampled_from(["tok ", ""])),
    st.builds(c.EvaluationComplete, st.just(RESULT)),
    st.builds(c.EvaluationFail, st.just("boom")),
)
COMMANDS = st.one_of(*COMMON, *COMMON[-4:])  # evaluation commands twice as often
ANY_ACTOR = st.sampled_from([CANDIDATE, OBSERVER, SYSTEM])
# (command, actor or None for "the right role", seconds since the previous step)
STEPS = st.lists(
    st.tuples(COMMANDS, st.one_of(st.none(), st.none(), ANY_ACTOR), st.floats(0, 30)),
    min_size=20,
    max_size=60,
)


def actor_for(command: c.Command, actor: Actor | None) -> Actor:
    return actor or Actor("u-any", COMMAND_TABLE[c.command_type(command)].role)


def check_invariants(state: RoomState, log: list[e.Event]) -> None:
    assert len(state.clarifications) <= state.max_clarifications
    assert fold(log) == state
    timed = state.mode == "timed" and state.phase in TIMED_PHASES
    assert (state.deadline is not None) == timed
    assert all((x.answer is None) == (x.answered_by is None) for x in state.clarifications)
    assert state.state_for(Role.CANDIDATE).notes == ()


def apply(state: RoomState, log: list[e.Event], events: list[e.Event]) -> RoomState:
    for event in events:
        if isinstance(event, e.PhaseChanged):
            assert event.from_phase == state.phase
            assert Phase(event.to_phase) in TRANSITIONS[state.phase]
        state = evolve(state, event)
        log.append(event)
    return state


@settings(max_examples=300, deadline=None, database=None)
@given(
    steps=STEPS,
    mode=st.sampled_from(["timed", "untimed"]),
    answer_mode=st.sampled_from(["rules", "human"]),
    # Abandoning ends everything, so it happens at most once, at a drawn step.
    abandon_at=st.one_of(st.none(), st.integers(0, 60)),
)
def test_random_sessions_keep_invariants(
    steps: list[tuple[c.Command, Actor | None, float]],
    mode: e.Mode,
    answer_mode: e.AnswerModeName,
    abandon_at: int | None,
) -> None:
    log = start("s1", "q1", mode, {"clarifying": 30, "design": 60}, 2, T0, answer_mode)
    state, now = fold(log), T0
    for index, (drawn, actor, gap) in enumerate(steps):
        command = c.Abandon() if index == abandon_at else drawn
        now += gap
        for due in due_timers(state, now):
            state = apply(state, log, decide(state, due, SYSTEM, now, RULES))
        before = msgspec.json.encode(state)
        try:
            events = decide(state, command, actor_for(command, actor), now, RULES)
        except DomainError:
            assert msgspec.json.encode(state) == before
            continue
        state = apply(state, log, events)
        check_invariants(state, log)
    check_invariants(state, log)
