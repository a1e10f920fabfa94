"""The room service: every command, from REST, WebSocket, timers or the evaluator, goes here.

A command is decided against the room's state at seq N (the pure `domain.room.decide`), then
its events are appended by a Lua script only if the room is still at N. If another process got
there first, this process catches up from the log and decides again, so two processes can never
both pass a check that only one should.

Durability: a milestone (the room's creation, a phase change, a submitted solution) is written
to Postgres *before*
it is appended, so no one sees it unless it is durable; if Postgres cannot take it, the
command fails with RoomUnavailable and nothing is applied. Seqs are reserved in Postgres in
blocks (`SeqLedger`): a room rebuilt after Redis lost it starts a new epoch past every seq ever
acknowledged, so no seq is reused.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, cast

from msgspec.structs import replace

from domain.commands import Actor, ClarificationTimeout, Clarify, FollowupAsk, Role
from domain.errors import DomainError
from domain.events import PhaseChanged, SolutionSubmitted, audience
from domain.room import decide, evolve_all, fold, start
from domain.timers import next_due_at
from rooms import keys
from rooms.archive import SEQ_BLOCK
from rooms.errors import RoomBusy, RoomNotFound, RoomUnavailable
from rooms.frames import Snapshot, StoredEvent, build_frame, decode_frame

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping, Sequence

    from domain.clarify import ClarificationRule, Match
    from domain.commands import Command
    from domain.events import AnswerModeName, Event, Mode, SystemFollowupOrigin
    from domain.state import RoomState
    from rooms.archive import SeqLedger
    from rooms.matching import ClarificationMatcher
    from rooms.store import RoomStore

log = logging.getLogger("interview_rooms.rooms")

SYSTEM = Actor(user_id="system", role=Role.SYSTEM)
# Concurrent writers to one room are rare (candidate, a few observers, timers); past this many
# lost races something is wrong, and the caller gets an error rather than a spin.
MAX_APPEND_ATTEMPTS = 20
# Redis keeps a snapshot at most this many events old, so loading a room reads a short tail.
REDIS_SNAPSHOT_EVERY_EVENTS = 50
# Rooms whose state this process keeps in memory; the least recently used are dropped.
CACHED_ROOMS = 20_000


def _unavailable(session_id: str, what: str, cause: Exception) -> RoomUnavailable:
    """What must be durable first could not be made so: the command is refused, unapplied."""
    log.warning("room %s: %s: %s", session_id, what, cause)
    return RoomUnavailable(
        "The room could not record this now; nothing was applied. Retry shortly.",
        session_id=session_id,
    )


@dataclass
class Outcome:
    """What a command did: the seq range it appended (empty if nothing), and the new state."""

    first_seq: int
    last_seq: int
    events: list[Event]
    state: RoomState
    duplicate: bool = False


@dataclass(frozen=True)
class FollowupQuestion:
    text: str
    origin: SystemFollowupOrigin
    section: str | None = None  # the section whose rubric point it probes, if known


class FollowupWriter(Protocol):
    """Writes the system's next follow-up question about a room's design (evaluator.followups);
    the room engine only records it."""

    async def write(self, state: RoomState) -> FollowupQuestion | None: ...


class Durable(Protocol):
    """Writes a room's milestones to Postgres ahead of their append (rooms.background.Archiver)."""

    async def ahead(
        self, session_id: str, seq: int, new: list[StoredEvent], after: RoomState
    ) -> None: ...

    async def undo(
        self, session_id: str, new: list[StoredEvent], true_seq: int, true_state: RoomState
    ) -> None: ...

    async def settled(self, session_id: str, seq: int) -> None: ...


@dataclass
class _Room:
    seq: int
    state: RoomState
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class RoomService:
    def __init__(
        self,
        store: RoomStore,
        rules: Callable[[str], Awaitable[Sequence[ClarificationRule]]],
        restore_from_archive: Callable[[str], Awaitable[Snapshot | None]],
        clock: Callable[[], float] = time.time,
        matcher: ClarificationMatcher | None = None,
        ledger: SeqLedger | None = None,
    ) -> None:
        self.store = store
        self._ledger = ledger
        store.bounded = ledger is not None
        # Set by whoever archives (the engine): milestones reach Postgres before their append.
        self.durable: Durable | None = None
        # Set by the app: writes the question of a due `followup_ask` (else it waits unasked).
        self.followups: FollowupWriter | None = None
        self._rules = rules
        self._matcher = matcher
        self._warming: set[asyncio.Task[None]] = set()
        self._restore_from_archive = restore_from_archive
        self._clock = clock
        self._rooms: OrderedDict[str, _Room] = OrderedDict()
        self._after_append: list[
            Callable[[str, RoomState, RoomState, list[Event], int], Awaitable[None]]
        ] = []

    def on_append(
        self, hook: Callable[[str, RoomState, RoomState, list[Event], int], Awaitable[None]]
    ) -> None:
        """Runs after every successful append: (session, old state, new state, events, seq)."""
        self._after_append.append(hook)

    async def create(
        self,
        session_id: str,
        question_id: str,
        mode: str,
        durations: Mapping[str, int],
        max_clarifications: int,
        actor: Actor,
        answer_mode: str = "rules",
    ) -> Outcome:
        now = self._clock()
        # Callers pass unchecked strings; start() validates both and raises InvalidCommand.
        events = start(
            session_id,
            question_id,
            cast("Mode", mode),
            durations,
            max_clarifications,
            now,
            cast("AnswerModeName", answer_mode),
        )
        room = _Room(0, fold(events))
        outcome = await self._append(session_id, room, events, actor, None, now, None, room.state)
        if outcome is None:
            raise RoomBusy("this session already has a room", session_id=session_id)
        self._warm_matcher(question_id)
        return outcome

    def _warm_matcher(self, question_id: str) -> None:
        """Lets the matcher get ready while the candidate reads the brief (never awaited)."""
        if self._matcher is None:
            return
        matcher = self._matcher

        async def warm() -> None:
            try:
                await matcher.prepare(question_id, await self._rules(question_id))
            except Exception:
                log.warning("warming the clarification matcher failed", exc_info=True)

        task = asyncio.create_task(warm(), name="clarifier-warm")
        self._warming.add(task)
        task.add_done_callback(self._warming.discard)

    async def rules(self, question_id: str) -> Sequence[ClarificationRule]:
        """The question's clarification rules, as the room answers with them."""
        return await self._rules(question_id)

    async def state(self, session_id: str) -> tuple[int, RoomState]:
        """The room's latest state and its seq."""
        room = await self._room(session_id)
        async with room.lock:
            await self._catch_up(session_id, room)
            return room.seq, room.state

    def peek(self, session_id: str) -> tuple[int, RoomState] | None:
        """This process's cached copy of the room, if any (possibly behind: compare seqs)."""
        room = self._rooms.get(session_id)
        return (room.seq, room.state) if room is not None else None

    async def execute(
        self,
        session_id: str,
        command: Command,
        actor: Actor,
        command_id: str | None = None,
    ) -> Outcome:
        """Decide and append; raises DomainError (nothing changes) when the command is refused."""
        command_key = keys.command(session_id, actor.user_id, command_id) if command_id else None
        if isinstance(command, FollowupAsk) and not command.text:
            command = await self._write_followup(session_id, command)
        room = await self._room(session_id)
        rules = await self._rules_for(command, room.state.question_id)
        # Outside the room's lock: a model may take seconds, and the room's other commands
        # (the candidate's drafts) must not wait behind it.
        matches = await self._match(session_id, room.state, command, rules)
        async with room.lock:
            for _ in range(MAX_APPEND_ATTEMPTS):
                now = self._clock()
                try:
                    events = decide(room.state, command, actor, now, rules, matches)
                except DomainError:
                    # A retried command may be refused now only because it was applied before.
                    if command_key and (done := await self.store.command_outcome(command_key)):
                        return Outcome(done[0], done[1], [], room.state, duplicate=True)
                    raise
                if not events:
                    # Nothing to do now may be because this very command was applied before.
                    if command_key and (done := await self.store.command_outcome(command_key)):
                        return Outcome(done[0], done[1], [], room.state, duplicate=True)
                    return Outcome(room.seq + 1, room.seq, [], room.state)
                after = evolve_all(room.state, events)
                outcome = await self._append(
                    session_id, room, events, actor, command_key, now, room.state, after
                )
                if outcome is not None:
                    return outcome
                await self._catch_up(session_id, room)
        raise RoomBusy("the room is too busy; try again", session_id=session_id)

    async def _write_followup(self, session_id: str, command: FollowupAsk) -> FollowupAsk:
        """The question for a due follow-up, written before deciding and outside the room's
        lock (a model may take seconds); without one the ask decides to nothing."""
        if self.followups is None:
            return command
        _, state = await self.state(session_id)
        try:
            question = await self.followups.write(state)
        except Exception:
            log.exception("writing a follow-up question failed in room %s", session_id)
            return command
        if question is None:
            return command
        return replace(
            command, text=question.text, origin=question.origin, section=question.section
        )

    async def _rules_for(self, command: Command, question_id: str) -> Sequence[ClarificationRule]:
        """The rules, which only a clarifying question needs: any other command (a draft, a
        join) goes on without them while Postgres cannot be read."""
        try:
            return await self._rules(question_id)
        except Exception:
            if isinstance(command, Clarify | ClarificationTimeout):
                raise
            log.warning("room rules unavailable; %s goes on without them", type(command).__name__)
            return ()

    async def _match(
        self,
        session_id: str,
        state: RoomState,
        command: Command,
        rules: Sequence[ClarificationRule],
    ) -> dict[str, Match]:
        """The matcher's answer to the question a command needs answered, worked out before
        deciding, outside the room's lock and the append loop (a retried append does not ask
        again). If the room moved on meanwhile, `decide` still rules on the current state."""
        if self._matcher is None or not rules:
            return {}
        if isinstance(command, Clarify):
            if state.answer_mode == "human":
                return {}  # a person answers; the matcher is asked only if they do not in time
            text = command.question
        elif isinstance(command, ClarificationTimeout):
            _, state = await self.state(session_id)  # the cached copy may predate the question
            asked = [c for c in state.clarifications if c.id == command.clarification_id]
            if not asked or asked[0].answer is not None:
                return {}
            text = asked[0].question
        else:
            return {}
        try:
            return {text: await self._matcher.match(state.question_id, text, rules)}
        except Exception:  # the room still answers: domain's own matcher decides
            log.exception("clarification matcher failed in room %s", state.session_id)
            return {}

    async def _append(
        self,
        session_id: str,
        room: _Room,
        events: list[Event],
        actor: Actor,
        command_key: str | None,
        now: float,
        before: RoomState | None,
        after: RoomState,
    ) -> Outcome | None:
        """Appends at the room's seq; None when another writer got there first."""
        first = room.seq + 1
        frames = [
            (audience(ev), build_frame(ev, first + i, now, actor.user_id))
            for i, ev in enumerate(events)
        ]
        last = room.seq + len(events)
        snapshot = (
            Snapshot(last, after) if self._snapshot_due(room.seq, last, before, after) else None
        )
        new = [StoredEvent(first + i, aud, frame) for i, (aud, frame) in enumerate(frames)]
        # The room's birth, a phase change, a submission: durable before anyone sees them.
        milestone = self.durable is not None and (
            before is None or any(isinstance(ev, PhaseChanged | SolutionSubmitted) for ev in events)
        )
        if milestone:
            await self._ahead(session_id, room.seq, new, after)
        result = await self.store.append(
            session_id, room.seq, frames, now=now, command_key=command_key, snapshot=snapshot
        )
        if result.status == "reserve":
            await self._reserve(session_id, last)
            result = await self.store.append(
                session_id, room.seq, frames, now=now, command_key=command_key, snapshot=snapshot
            )
        if result.status != "ok" and milestone:
            await self._undo(session_id, room, new, last)
        if result.status in ("conflict", "reserve"):
            return None
        if result.status == "duplicate":
            return Outcome(result.first_seq, result.last_seq, [], room.state, duplicate=True)
        room.seq, room.state = last, after
        self._remember(session_id, room)
        if milestone and self.durable is not None:
            await self.durable.settled(session_id, last)
        await self._settle_timers(session_id, before, after, last)
        for hook in self._after_append:
            await hook(session_id, before or after, after, events, last)
        return Outcome(first, last, events, after)

    async def _ahead(
        self, session_id: str, seq: int, new: list[StoredEvent], after: RoomState
    ) -> None:
        assert self.durable is not None
        try:
            await self.durable.ahead(session_id, seq, new, after)
        except Exception as exc:
            raise _unavailable(session_id, "Postgres did not take a milestone", exc) from exc

    async def _undo(self, session_id: str, room: _Room, new: list[StoredEvent], last: int) -> None:
        """The append lost its race after its milestone was written ahead: take the rows back
        and write what the log really holds."""
        assert self.durable is not None
        await self._catch_up(session_id, room)
        await self.durable.undo(session_id, new, room.seq, room.state)

    async def _reserve(self, session_id: str, last: int) -> None:
        """Reserves the next block of seqs in Postgres before any of them is written."""
        assert self._ledger is not None
        try:
            reserved = await self._ledger.reserve(session_id, last + SEQ_BLOCK)
        except Exception as exc:
            raise _unavailable(session_id, "could not reserve seqs in Postgres", exc) from exc
        if reserved < last:  # the session row is gone: the room is not ours to grow
            raise RoomNotFound("no such interview session", session_id=session_id)
        await self.store.raise_high_water(session_id, reserved)

    @staticmethod
    def _snapshot_due(seq: int, last: int, before: RoomState | None, after: RoomState) -> bool:
        crossed = seq // REDIS_SNAPSHOT_EVERY_EVENTS != last // REDIS_SNAPSHOT_EVERY_EVENTS
        return before is None or crossed or before.phase != after.phase

    async def _settle_timers(
        self, session_id: str, before: RoomState | None, after: RoomState, seq: int
    ) -> None:
        from rooms.keys import TIMERS

        due_after = next_due_at(after)
        if before is None or next_due_at(before) != due_after:
            await self.store.settle(TIMERS, session_id, seq, due_after)

    async def _room(self, session_id: str) -> _Room:
        room = self._rooms.get(session_id)
        if room is None:
            room = await self._load(session_id)
            room = self._rooms.setdefault(session_id, room)
        self._rooms.move_to_end(session_id)
        return room

    def _remember(self, session_id: str, room: _Room) -> None:
        self._rooms[session_id] = room
        while len(self._rooms) > CACHED_ROOMS:
            self._rooms.popitem(last=False)

    async def _load(self, session_id: str) -> _Room:
        snapshot = await self.store.snapshot(session_id)
        if snapshot is None:
            snapshot = await self._rehydrate(session_id)
        room = _Room(snapshot.seq, snapshot.state)
        await self._catch_up(session_id, room)
        return room

    async def _rehydrate(self, session_id: str) -> Snapshot:
        """Redis lost the room: rebuild its keys from the last Postgres snapshot, in a new
        epoch whose seqs continue past every seq the room ever acknowledged."""
        archived = await self._restore_from_archive(session_id)
        if archived is None:
            raise RoomNotFound("no such interview session", session_id=session_id)
        epoch, start, reserved = 0, archived.seq, 0
        if self._ledger is not None:
            begun = await self._ledger.new_epoch(session_id)
            if begun is None:
                raise RoomNotFound("no such interview session", session_id=session_id)
            epoch, start, reserved = begun[0], max(begun[1], archived.seq), begun[2]
        resumed = Snapshot(start, archived.state)
        if await self.store.restore(session_id, resumed, reserved, epoch):
            log.warning(
                "room %s rebuilt from Postgres (archived seq %d) as epoch %d from seq %d",
                session_id,
                archived.seq,
                epoch,
                start,
            )
            await self._settle_timers(session_id, None, resumed.state, start)
        return await self.store.snapshot(session_id) or resumed

    async def _catch_up(self, session_id: str, room: _Room) -> None:
        """Applies events other processes appended since this process last looked."""
        newer = await self.store.read(session_id, room.seq)
        if not newer or newer[0].seq != room.seq + 1:
            current = await self.store.current_seq(session_id)
            if not newer and current == room.seq:
                return
            # Trimmed past us, or Redis lost the room: start again from the latest snapshot.
            snapshot = await self.store.snapshot(session_id) or await self._rehydrate(session_id)
            room.seq, room.state = snapshot.seq, snapshot.state
            newer = await self.store.read(session_id, room.seq)
        if newer:
            room.state = evolve_all(room.state, [decode_frame(item.frame)[1] for item in newer])
            room.seq = newer[-1].seq
