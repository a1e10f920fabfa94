"""Follow-up questions during design: the conversation's commands and events, when the system
asks (on request, at half time), the offline probes, and how answers count in the evaluation."""

from __future__ import annotations

import msgspec
import pytest

from domain import commands as c
from domain import events as e
from domain.assessment import AnswerContext, assess
from domain.commands import MAX_SYSTEM_FOLLOWUPS, MAX_TEXT_CHARS
from domain.decide import CLIENT_COMMAND_TYPES, decode_client_command
from domain.errors import (
    FollowupAlreadyAnswered,
    FollowupLimitReached,
    FollowupPending,
    IllegalInPhase,
    InvalidCommand,
    RoleForbidden,
    UnknownFollowup,
)
from domain.followups import Exchange, answers_by_section, next_probe
from domain.phases import Phase
from domain.room import fold
from domain.state import Followup, RoomState
from domain.timers import due_timers, followup_mark_at, next_due_at
from evaluator.clarifier.check import check_followups
from evaluator.prompts import EvaluationInput, user_prompt
from server.operations.seed import load_bank
from tests.unit.test_room import CANDIDATE, DURATIONS, OBSERVER, SYSTEM, T0, Room, types

BANK = {question.slug: question for question, _ in load_bank()}
DESIGN_AT = T0 + 100  # the design phase starts here; it lasts DURATIONS["design"]
MARK = DESIGN_AT + DURATIONS["design"] / 2


def designing(mode: e.Mode = "timed") -> Room:
    room = Room(mode)
    room.do(c.Advance("design"), CANDIDATE, DESIGN_AT)
    return room


def ask(room: Room, trigger: str, now: float, text: str = "What if a floor closes?") -> list:
    """Fires the due follow-up as the app does: the due command with its question written in."""
    due = [d for d in due_timers(room.state, now) if isinstance(d, c.FollowupAsk)]
    assert [d.trigger for d in due] == [trigger]
    written = msgspec.structs.replace(due[0], text=text, section="extra")
    return room.do(written, SYSTEM, now)


def test_an_interviewer_asks_and_the_candidate_answers() -> None:
    room = designing()
    asked = room.do(c.Followup("How do two gates avoid selling one spot?"), OBSERVER, T0 + 200)
    assert asked == [
        e.FollowupAsked(
            "f1",
            "How do two gates avoid selling one spot?",
            "u-obs",
            "interviewer",
            "interviewer",
            T0 + 200,
        )
    ]
    answered = room.do(c.FollowupAnswer("f1", "A lock per spot type."), CANDIDATE, T0 + 230)
    assert answered == [e.FollowupAnswered("f1", "A lock per spot type.", "u-cand", T0 + 230)]
    assert room.state.followups == (
        Followup(
            "f1",
            "How do two gates avoid selling one spot?",
            "u-obs",
            T0 + 200,
            "interviewer",
            "interviewer",
            None,
            "A lock per spot type.",
            T0 + 230,
        ),
    )
    assert fold(e.decode_event(e.encode_event(ev)) for ev in room.log) == room.state
    assert msgspec.json.decode(msgspec.json.encode(room.state), type=RoomState) == room.state
    assert all(e.audience(ev) == "all" for ev in room.log)


def test_follow_ups_are_a_design_phase_conversation() -> None:
    room = Room()
    room.rejects(c.Followup("Why?"), OBSERVER, IllegalInPhase)
    room.rejects(c.FollowupRequest(), CANDIDATE, IllegalInPhase)
    room = designing()
    room.rejects(c.Followup("Why?"), CANDIDATE, RoleForbidden)
    room.rejects(c.FollowupRequest(), OBSERVER, RoleForbidden)
    room.do(c.Followup("Why one gate?"), OBSERVER)
    room.rejects(c.FollowupAnswer("f1", "Because."), OBSERVER, RoleForbidden)
    room.rejects(c.FollowupAnswer("f9", "Because."), CANDIDATE, UnknownFollowup)
    room.do(c.FollowupAnswer("f1", "Because."), CANDIDATE)
    error = room.rejects(c.FollowupAnswer("f1", "Again."), CANDIDATE, FollowupAlreadyAnswered)
    assert error.fields == {"followup_id": "f1"}


def test_an_open_question_stays_unanswered_after_submission() -> None:
    room = designing()
    room.do(c.Followup("What about EV spots?"), OBSERVER)
    room.do(c.Submit(), CANDIDATE, T0 + 300)
    room.rejects(c.FollowupAnswer("f1", "Late."), CANDIDATE, IllegalInPhase)
    assert room.state.followups[0].answer is None
    assert not [d for d in due_timers(room.state, T0 + 10**6) if isinstance(d, c.FollowupAsk)]


@pytest.mark.parametrize(
    "command",
    [
        c.Followup(""),
        c.Followup("   "),
        c.Followup("x" * (MAX_TEXT_CHARS + 1)),
        c.Followup("nul\x00"),
        c.FollowupAnswer("f1", "x" * (MAX_TEXT_CHARS + 1)),
        c.FollowupAnswer("", "fine"),
    ],
)
def test_follow_up_texts_are_bounded_like_the_other_texts(command: c.Command) -> None:
    room = designing()
    room.do(c.Followup("Why?"), OBSERVER)
    actor = OBSERVER if isinstance(command, c.Followup) else CANDIDATE
    room.rejects(command, actor, InvalidCommand)


def test_clients_send_follow_ups_and_only_the_system_writes_its_own() -> None:
    assert {"followup", "followup_request", "followup_answer"} <= CLIENT_COMMAND_TYPES
    assert "followup_ask" not in CLIENT_COMMAND_TYPES
    assert decode_client_command('{"type":"followup_request"}') == c.FollowupRequest()
    frame = '{"type":"followup_answer","followup_id":"f2","text":"Sharded by code."}'
    assert decode_client_command(frame) == c.FollowupAnswer("f2", "Sharded by code.")
    with pytest.raises(msgspec.ValidationError):
        decode_client_command('{"type":"followup_ask","trigger":"time","text":"Gotcha?"}')


def test_a_request_is_answered_by_the_system_once() -> None:
    room = designing()
    assert types(room.do(c.FollowupRequest(), CANDIDATE, T0 + 150)) == ["followup.requested"]
    assert room.state.followup_requested_at == T0 + 150
    assert next_due_at(room.state) == T0 + 150  # the app writes the question at once
    room.rejects(c.FollowupRequest(), CANDIDATE, FollowupPending)
    # Without its question the due ask changes nothing; the room waits for one.
    assert room.do(c.FollowupAsk("request"), SYSTEM, T0 + 151) == []
    asked = ask(room, "request", T0 + 152)
    assert asked == [
        e.FollowupAsked(
            "f1", "What if a floor closes?", "system", "rubric", "request", T0 + 152, "extra"
        )
    ]
    assert room.state.followup_requested_at is None
    # The same ask again (another process, a retry) is stale.
    again = c.FollowupAsk("request", "Another one?")
    assert room.do(again, SYSTEM, T0 + 153) == []
    error = room.rejects(c.FollowupRequest(), CANDIDATE, FollowupPending)
    assert error.fields == {"followup_id": "f1"}


def test_at_most_n_system_follow_ups_and_interviewers_do_not_count() -> None:
    room = designing("untimed")
    now = T0 + 200
    for n in range(1, MAX_SYSTEM_FOLLOWUPS + 1):
        room.do(c.FollowupRequest(), CANDIDATE, now)
        ask(room, "request", now + 1, f"Question {n}?")
        room.do(c.FollowupAnswer(f"f{n}", f"Answer {n}."), CANDIDATE, now + 2)
        now += 10
    error = room.rejects(c.FollowupRequest(), CANDIDATE, FollowupLimitReached)
    assert error.fields == {"asked": MAX_SYSTEM_FOLLOWUPS, "limit": MAX_SYSTEM_FOLLOWUPS}
    room.do(c.Followup("One of mine?"), OBSERVER, now)
    assert room.state.followups[-1].id == f"f{MAX_SYSTEM_FOLLOWUPS + 1}"


def test_the_half_time_mark_asks_once() -> None:
    room = designing()
    assert followup_mark_at(room.state) == MARK
    assert next_due_at(room.state) == MARK
    assert not [d for d in due_timers(room.state, MARK - 1) if isinstance(d, c.FollowupAsk)]
    assert room.do(c.FollowupAsk("time", "Too early?"), SYSTEM, MARK - 1) == []
    assert types(ask(room, "time", MARK + 0.2)) == ["followup.asked"]
    assert room.state.followups[0].trigger == "time"
    room.do(c.FollowupAnswer("f1", "It reroutes."), CANDIDATE, MARK + 60)
    # Answered: the mark is spent; only the phase's own timers remain.
    assert not [d for d in due_timers(room.state, MARK + 61) if isinstance(d, c.FollowupAsk)]
    assert next_due_at(room.state) != MARK
    assert room.do(c.FollowupAsk("time", "Again?"), SYSTEM, MARK + 62) == []


def test_the_mark_waits_for_an_open_system_question_and_counts_a_request() -> None:
    room = designing()
    room.do(c.FollowupRequest(), CANDIDATE, MARK - 10)
    ask(room, "request", MARK - 9)
    # Open past the mark: nothing more is asked until it is answered.
    assert not [d for d in due_timers(room.state, MARK + 5) if isinstance(d, c.FollowupAsk)]
    room.do(c.FollowupAnswer("f1", "Queue them."), CANDIDATE, MARK + 6)
    assert types(ask(room, "time", MARK + 7)) == ["followup.asked"]
    room.do(c.FollowupAnswer("f2", "Retry."), CANDIDATE, MARK + 8)
    # A question asked after the mark (here on request) spends the mark too.
    other = designing()
    other.do(c.FollowupRequest(), CANDIDATE, MARK + 1)
    ask(other, "request", MARK + 2)
    other.do(c.FollowupAnswer("f1", "Shard it."), CANDIDATE, MARK + 3)
    assert not [d for d in due_timers(other.state, MARK + 4) if isinstance(d, c.FollowupAsk)]


def test_untimed_rooms_ask_only_on_request() -> None:
    room = designing("untimed")
    assert followup_mark_at(room.state) is None
    assert next_due_at(room.state) is None
    assert due_timers(room.state, T0 + 10**6) == []


def test_past_the_deadline_only_the_expiry_is_due() -> None:
    room = designing()
    deadline = room.state.deadline
    assert deadline is not None
    assert due_timers(room.state, deadline) == [c.TimerExpire(Phase.DESIGN)]


# ---------------------------------------------------------------- offline probes


URL = BANK["url-shortener"]


def context(question_slug: str) -> AnswerContext:
    question = BANK[question_slug]
    return AnswerContext(question.slug, question.title, question.description)


def asked(question: str, answer: str | None = None, section: str | None = None) -> Followup:
    return Followup("f1", question, "system", T0, "rubric", "request", section, answer)


def test_every_bank_question_has_hand_written_probes() -> None:
    for question in BANK.values():
        assert check_followups(question.slug, question.followups) == [], question.slug
        assert len({p.question for p in question.followups}) == len(question.followups)


def test_the_first_probe_whose_point_the_draft_leaves_out_is_asked() -> None:
    probes = URL.followups
    empty: dict[str, str] = {}
    assert next_probe(probes, URL.rubric, empty, (), context("url-shortener")) == probes[0]
    # A draft that states the first probe's point (hot codes cached) gets the second probe.
    cached = {
        "classes_and_relationships": "A Redis cache sits in front of the key-value store and "
        "serves the hot codes, so most redirects never reach the database."
    }
    assert next_probe(probes, URL.rubric, cached, (), context("url-shortener")) == probes[1]
    # Never a probe already asked, whatever the draft says.
    seen = [asked(probes[0].question), asked(probes[1].question)]
    assert next_probe(probes, URL.rubric, empty, seen, context("url-shortener")) == probes[2]
    every = [asked(p.question) for p in probes]
    assert next_probe(probes, URL.rubric, empty, every, context("url-shortener")) is None


def test_an_answer_given_in_the_conversation_counts_as_covered() -> None:
    probes = URL.followups
    answer = (
        "A Redis cache sits in front of the key-value store and serves the hot codes, so a "
        "link that goes viral is answered from memory."
    )
    talk = [asked("Something else?", answer, "classes_and_relationships")]
    assert next_probe(probes, URL.rubric, {}, talk, context("url-shortener")) == probes[1]


def test_the_offline_evaluator_credits_follow_up_answers_in_their_section() -> None:
    weak = dict(URL.weak_solution)
    answer = (
        "Each app server leases a block of a million IDs from a counter, so two servers never "
        "hand out the same code and there is no collision check on the write path."
    )
    exchange = Exchange(URL.followups[1].question, answer, URL.followups[1].section)
    before = assess(URL.rubric, weak, context("url-shortener"))
    answers = answers_by_section([exchange])
    after = assess(URL.rubric, weak, context("url-shortener"), answers)
    assert after.score > before.score
    code = next(s for s in after.sections if s.section == "code")
    credited = [p for p in code.points if p.quote == answer]
    assert credited and credited[0].where == "section"
    # Read as prose, it leaves the code's own reading alone (pasted into the code box, it
    # would stop working code from parsing); an answer about no particular section counts
    # with the extras.
    strong = dict(URL.reference_solution)
    with_code = assess(URL.rubric, strong, context("url-shortener"), answers)
    assert with_code.score >= assess(URL.rubric, strong, context("url-shortener")).score
    assert not any("does not parse" in note for note in with_code.notes)
    assert answers_by_section([Exchange("Why?", "Because.")]) == {"extra": ["Because."]}


def test_the_model_prompt_carries_the_follow_up_exchange() -> None:
    exchange = Exchange("What if one link goes viral?", "The cache absorbs it.", "extra")
    evaluation = EvaluationInput(
        question_title=URL.title,
        question_type=URL.type,
        difficulty=URL.difficulty,
        description=URL.description,
        clarifications=[],
        solution={"extra": "Cache hot links."},
        language="python",
        rubric=URL.rubric,
        followups=[exchange],
    )
    prompt = user_prompt(evaluation)
    assert "What if one link goes viral?" in prompt and "The cache absorbs it." in prompt
    assert evaluation.answers() == {"extra": ["The cache absorbs it."]}
    assert "The cache absorbs it." in evaluation.quotable()["followup_answers"]
