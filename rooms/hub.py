"""Per-process fan-out: one Redis reader for every room this process has sockets in.

The reader XREADs all those rooms' streams in one blocking call and hands each entry to the
room's subscribers. A subscriber delivers strictly in seq order: it drops what it already sent
and fills any gap (a reconnect's backlog, an overflowed queue) from the stream before going on,
so a socket sees no loss, duplicate or reordering. If the gap was trimmed from Redis, it is told
to resync and gets a fresh snapshot.
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

# The reader wakes at least this often even with no traffic. Must stay well under redis-py's
# default socket timeout (5 s), or an idle block is cut off as a read timeout.
READ_BLOCK_MS = 2000
READ_COUNT = 1000
# A socket this far behind stops queueing and catches up from Redis instead.
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
        "_pending",
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
    ) -> None:
        self.session_id, self.observer, self.last_seq = session_id, observer, last_seq
        self._store, self._send, self._resync = store, send, resync
        self._pending: list[Delivery | _CatchUp] = []
        self._writer: asyncio.Task[None] | None = None
        self._closed = False

    def offer(self, item: Delivery | _CatchUp) -> None:
        if self._closed:
            return
        if len(self._pending) < SUBSCRIBER_QUEUE_FRAMES:  # else the next delivery fills the gap
            self._pending.append(item)
        if self._writer is None:
            self._writer = asyncio.create_task(self._drain())

    def close(self) -> None:
        self._closed = True
        self._pending.clear()

    async def wait_idle(self) -> None:
        """Waits until everything offered so far has been written (or failed)."""
        while self._writer is not None:
            await asyncio.shield(self._writer)

    async def _drain(self) -> None:
        try:
            while self._pending and not self._closed:
                item = self._pending.pop(0)
                await self._handle(item)
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
    cursor: int
    subscribers: set[Subscriber] = field(default_factory=set)


class Hub:
    def __init__(self, redis: aioredis.Redis, store: RoomStore) -> None:
        self.redis, self.store = redis, store
        self._rooms: dict[str, _HubRoom] = {}
        self._wake_key = f"hub:wake:{uuid.uuid4()}"
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    @property
    def sockets(self) -> int:
        return sum(len(room.subscribers) for room in self._rooms.values())

    async def start(self) -> None:
        self._task = asyncio.create_task(self._read_loop(), name="room-hub-reader")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.redis.delete(self._wake_key)

    async def subscribe(self, subscriber: Subscriber) -> None:
        """Registers the subscriber; it first catches up to where the live stream starts."""
        room = self._rooms.get(subscriber.session_id)
        if room is None:
            current = await self.store.current_seq(subscriber.session_id) or 0
            room = self._rooms.setdefault(subscriber.session_id, _HubRoom(current))
            await self._wake()
        room.subscribers.add(subscriber)
        if subscriber.last_seq < room.cursor:
            subscriber.offer(_CatchUp(room.cursor))

    def unsubscribe(self, subscriber: Subscriber) -> None:
        subscriber.close()
        room = self._rooms.get(subscriber.session_id)
        if room is None:
            return
        room.subscribers.discard(subscriber)
        if not room.subscribers:
            del self._rooms[subscriber.session_id]

    async def _wake(self) -> None:
        self._changed.set()
        await self.redis.xadd(self._wake_key, {"w": "1"}, maxlen=10, approximate=False)

    async def _read_loop(self) -> None:
        wake_cursor = "0-0"  # this key is new and ours: every wake-up after start counts
        while True:
            if not self._rooms:
                self._changed.clear()
                await self._changed.wait()
                continue
            streams: dict[str, str] = {
                keys.log(sid): f"{room.cursor}-0" for sid, room in self._rooms.items()
            }
            streams[self._wake_key] = wake_cursor
            try:
                response = await self.redis.xread(streams, count=READ_COUNT, block=READ_BLOCK_MS)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("room reader failed; retrying")
                await asyncio.sleep(0.5)
                continue
            for stream, entries in response or []:
                name = stream.decode()
                if name == self._wake_key:
                    wake_cursor = entries[-1][0].decode()
                    continue
                self._dispatch(name, entries)

    def _dispatch(self, stream: str, entries: list[tuple[bytes, dict[bytes, bytes]]]) -> None:
        session_id = stream[len("{room:") : stream.index("}")]
        room = self._rooms.get(session_id)
        if room is None:
            return
        for entry_id, fields in entries:
            seq = int(entry_id.split(b"-")[0])
            if seq <= room.cursor:
                continue
            room.cursor = seq
            delivery = Delivery(seq, fields[b"a"].decode(), fields[b"f"].decode())
            for subscriber in room.subscribers:
                subscriber.offer(delivery)
