"""Per-process fan-out: one Redis pub/sub connection for every room this process has sockets in.

The append script publishes each event on the room's channel right after putting it in the
room's stream. The hub hands it to the room's subscribers; a subscriber delivers strictly in seq
order, drops what it already sent and fills any gap (a reconnect's backlog, an overflowed queue,
a message pub/sub dropped) from the stream before going on, so a socket sees no loss, duplicate
or reordering. If the gap was trimmed from Redis, it is told to resync and gets a snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rooms import keys

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    import redis.asyncio as aioredis

    from rooms.store import RoomStore

log = logging.getLogger("interview_rooms.hub")

# The listener waits this long for a message before looping (well under redis-py's 5 s
# default socket timeout).
LISTEN_TIMEOUT_SECS = 1.0
# How often every held room's seq is compared with what was delivered: the bound on how late an
# event pub/sub dropped (a reconnect) reaches its sockets.
RECONCILE_SECS = 1.0
# A socket this far behind stops queueing and catches up from Redis instead (one catch-up
# marker past the limit records how far).
SUBSCRIBER_QUEUE_FRAMES = 2000


@dataclass(frozen=True)
class Delivery:
    seq: int
    audience: str
    text: str


@dataclass(frozen=True)
class _CatchUp:
    until: int


class Subscriber:
    """One socket's view of one room. `send` writes a text frame; `resync` sends a snapshot
    and returns its seq.

    Deliveries are written by a task that exists only while there is something to send, so an
    idle socket costs no task (memory per idle connection is a measured target).
    """

    __slots__ = (
        "_closed",
        "_max_pending_chars",
        "_on_overflow",
        "_pending",
        "_pending_chars",
        "_queue_frames",
        "_resync",
        "_send",
        "_store",
        "_writer",
        "last_seq",
        "observer",
        "session_id",
    )

    def __init__(
        self,
        session_id: str,
        observer: bool,
        last_seq: int,
        store: RoomStore,
        send: Callable[[str], Awaitable[None]],
        resync: Callable[[], Awaitable[int]],
        queue_frames: int = SUBSCRIBER_QUEUE_FRAMES,
        max_queued_chars: int | None = None,
        on_overflow: Callable[[], None] | None = None,
    ) -> None:
        self.session_id, self.observer, self.last_seq = session_id, observer, last_seq
        self._queue_frames = queue_frames
        # A subscriber that stops reading while its room keeps going: past this many queued
        # characters it is closed and `on_overflow` lets its socket go (slow-consumer policy).
        self._max_pending_chars, self._on_overflow = max_queued_chars, on_overflow
        self._pending_chars = 0
        self._store, self._send, self._resync = store, send, resync
        self._pending: list[Delivery | _CatchUp] = []
        self._writer: asyncio.Task[None] | None = None
        self._closed = False

    def offer(self, item: Delivery | _CatchUp) -> None:
        if self._closed:
            return
        if len(self._pending) < self._queue_frames:
            if isinstance(item, Delivery) and self._max_pending_chars is not None:
                self._pending_chars += len(item.text)
                if self._pending_chars > self._max_pending_chars:
                    self.close()
                    if self._on_overflow is not None:
                        self._on_overflow()
                    return
            self._pending.append(item)
        else:
            # Too far behind to queue: remember how far the room went, and read that from the
            # stream once the queue drains (a later delivery may never come if the room goes
            # quiet). One marker at the tail, however long the overflow lasts.
            until = item.until if isinstance(item, _CatchUp) else item.seq
            tail = self._pending[-1]
            if isinstance(tail, _CatchUp):
                self._pending[-1] = _CatchUp(max(tail.until, until))
            else:
                self._pending.append(_CatchUp(until))
        if self._writer is None:
            self._writer = asyncio.create_task(self._drain())

    @property
    def queued_chars(self) -> int:
        return self._pending_chars

    def close(self) -> None:
        self._closed = True
        self._pending.clear()
        self._pending_chars = 0

    async def wait_idle(self) -> None:
        """Waits until everything offered so far has been written (or failed)."""
        while self._writer is not None:
            await asyncio.shield(self._writer)

    async def _drain(self) -> None:
        try:
            while self._pending and not self._closed:
                item = self._pending.pop(0)
                await self._handle(item)
                if isinstance(item, Delivery):
                    self._pending_chars = max(0, self._pending_chars - len(item.text))
        except Exception:  # the socket went away; its reader notices and unsubscribes
            log.debug("delivery to a socket failed", exc_info=True)
            self._closed = True
        finally:
            self._writer = None

    async def _handle(self, item: Delivery | _CatchUp) -> None:
        if isinstance(item, _CatchUp):
            await self._fill(item.until)
            return
        if item.seq <= self.last_seq:
            return
        if item.seq > self.last_seq + 1:
            await self._fill(item.seq - 1)
        await self._deliver(item)

    async def _fill(self, until: int) -> None:
        """Delivers (last_seq, until] from the stream, or resyncs if Redis no longer has it."""
        while self.last_seq < until:
            stored = await self._store.read(self.session_id, self.last_seq, until, count=500)
            if not stored or stored[0].seq != self.last_seq + 1:
                self.last_seq = await self._resync()
                return
            for item in stored:
                await self._deliver(Delivery(item.seq, item.audience, item.frame.decode()))

    async def _deliver(self, item: Delivery) -> None:
        self.last_seq = item.seq
        if item.audience == "all" or self.observer:
            await self._send(item.text)


@dataclass
class _HubRoom:
    cursor: int = 0
    subscribers: set[Subscriber] = field(default_factory=set)
    ready: asyncio.Event = field(default_factory=asyncio.Event)


class Hub:
    """Live events arrive by pub/sub on each held room's channel (pushed the moment the append
    script runs); a reconciliation pass compares every held room's seq with what was delivered
    and reads anything pub/sub dropped from the stream. Work is proportional to the events of
    the rooms held, not to the number of rooms."""

    def __init__(self, redis: aioredis.Redis, store: RoomStore) -> None:
        self.redis, self.store = redis, store
        self._rooms: dict[str, _HubRoom] = {}
        self._pubsub = redis.pubsub(ignore_subscribe_messages=True)
        self._own_channel = f"hub:{uuid.uuid4()}"  # keeps the connection subscribed when idle
        self._channel_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._dropping: set[asyncio.Task[None]] = set()

    @property
    def sockets(self) -> int:
        return sum(len(room.subscribers) for room in self._rooms.values())

    async def start(self) -> None:
        await self._pubsub.subscribe(self._own_channel)
        self._tasks = [
            asyncio.create_task(self._listen(), name="room-hub-listener"),
            asyncio.create_task(self._reconcile_loop(), name="room-hub-reconciler"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._pubsub.aclose()  # type: ignore[no-untyped-call]  # unannotated in redis-py

    async def subscribe(self, subscriber: Subscriber) -> None:
        """Registers the subscriber; it first catches up to where the live stream starts."""
        session_id = subscriber.session_id
        room = self._rooms.get(session_id)
        if room is None:
            room = self._rooms[session_id] = _HubRoom()
            async with self._channel_lock:
                await self._pubsub.subscribe(keys.events(session_id))
            # Read after subscribing: everything later arrives on the channel.
            room.cursor = max(room.cursor, await self.store.current_seq(session_id) or 0)
            room.ready.set()
        await room.ready.wait()
        room.subscribers.add(subscriber)
        if subscriber.last_seq < room.cursor:
            subscriber.offer(_CatchUp(room.cursor))

    def unsubscribe(self, subscriber: Subscriber) -> None:
        subscriber.close()
        room = self._rooms.get(subscriber.session_id)
        if room is None:
            return
        room.subscribers.discard(subscriber)
        if not room.subscribers and room.ready.is_set():
            del self._rooms[subscriber.session_id]
            task = asyncio.create_task(self._drop_channel(subscriber.session_id))
            self._dropping.add(task)
            task.add_done_callback(self._dropping.discard)

    async def _drop_channel(self, session_id: str) -> None:
        async with self._channel_lock:
            if session_id not in self._rooms:  # nobody came back meanwhile
                await self._pubsub.unsubscribe(keys.events(session_id))

    async def _listen(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(timeout=LISTEN_TIMEOUT_SECS)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("room listener failed; retrying")
                await asyncio.sleep(0.5)
                continue
            if message is None or message["type"] != "message":
                continue
            channel = message["channel"].decode()
            seq, audience, frame = message["data"].split(b"|", 2)
            self._dispatch(
                channel[len("{room:") : channel.index("}")],
                Delivery(int(seq), audience.decode(), frame.decode()),
            )

    async def _reconcile_loop(self) -> None:
        while True:
            await asyncio.sleep(RECONCILE_SECS)
            try:
                await self.reconcile()
            except Exception:
                log.exception("room reconciliation failed; retrying")

    async def reconcile(self) -> None:
        """Reads from the streams whatever pub/sub did not deliver (a dropped connection)."""
        held = [(sid, room) for sid, room in self._rooms.items() if room.ready.is_set()]
        if not held:
            return
        current = await self.store.current_seqs([sid for sid, _ in held])
        behind = [
            (sid, room.cursor, seq)
            for (sid, room), seq in zip(held, current, strict=True)
            if seq > room.cursor
        ]
        if not behind:
            return
        for (sid, cursor, seq), tail in zip(
            behind, await self.store.read_many(behind), strict=True
        ):
            if not tail or tail[0].seq != cursor + 1:
                # The stream no longer holds what follows the cursor (the room was rebuilt after
                # Redis lost it, in a new epoch): each subscriber resyncs from a snapshot.
                self._catch_up(sid, seq)
                continue
            for item in tail:
                self._dispatch(sid, Delivery(item.seq, item.audience, item.frame.decode()))

    def _catch_up(self, session_id: str, seq: int) -> None:
        room = self._rooms.get(session_id)
        if room is None or seq <= room.cursor:
            return
        room.cursor = seq
        for subscriber in room.subscribers:
            subscriber.offer(_CatchUp(seq))

    def _dispatch(self, session_id: str, delivery: Delivery) -> None:
        room = self._rooms.get(session_id)
        if room is None or delivery.seq <= room.cursor:
            return
        room.cursor = delivery.seq  # a gap behind it is filled by each subscriber
        for subscriber in room.subscribers:
            subscriber.offer(delivery)
