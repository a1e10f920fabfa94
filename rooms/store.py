"""A room's Redis keys: the atomic append, reads of the log, snapshots and schedules."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Literal, cast

from rooms import keys
from rooms.frames import Snapshot, StoredEvent, decode_snapshot, encode_snapshot

if TYPE_CHECKING:
    from collections.abc import Sequence

    import redis.asyncio as aioredis
    from redis.commands.core import AsyncScript

# A client that retries a command within this window gets the first outcome, not a second one.
COMMAND_DEDUPE_TTL_SECS = 3600
# How many archived events stay in Redis for resuming clients; older ones are in Postgres.
RETAINED_EVENTS = 2000
# The client runs without decode_responses, so a reply redis-py types as `bytes | str` is bytes.
# XRANGE's reply: (entry id, fields) pairs.
RawEntries = list[tuple[bytes, dict[bytes, bytes]]]


def _script(redis: aioredis.Redis, name: str) -> AsyncScript:
    source = (resources.files("rooms") / "lua" / f"{name}.lua").read_text()
    return redis.register_script(source)


@dataclass(frozen=True)
class AppendResult:
    status: Literal["ok", "conflict", "duplicate", "reserve"]
    first_seq: int
    last_seq: int


def _parse_range(raw: bytes) -> tuple[int, int]:
    first, _, last = raw.decode().partition(":")
    return int(first), int(last)


def _stored(entry_id: bytes, fields: dict[bytes, bytes]) -> StoredEvent:
    return StoredEvent(int(entry_id.split(b"-")[0]), fields[b"a"].decode(), fields[b"f"])


async def _get(redis: aioredis.Redis, key: str) -> bytes | None:
    return cast("bytes | None", await redis.get(key))


class RoomStore:
    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis
        self._append = _script(redis, "append")
        self._claim = _script(redis, "claim")
        self._settle = _script(redis, "settle")
        self._restore = _script(redis, "restore")
        self._archived = _script(redis, "archived")
        self._high_water = _script(redis, "high_water")
        # On when a Postgres ledger reserves seqs (RoomService with a SeqLedger): no append
        # then goes past the reserved high-water mark.
        self.bounded = False

    async def append(
        self,
        session_id: str,
        expected_seq: int,
        events: Sequence[tuple[str, bytes]],
        *,
        now: float,
        command_key: str | None = None,
        snapshot: Snapshot | None = None,
    ) -> AppendResult:
        """Appends (audience, frame) pairs if the room is still at `expected_seq`."""
        args: list[str | bytes | int | float] = [
            expected_seq,
            COMMAND_DEDUPE_TTL_SECS if command_key else 0,
            encode_snapshot(snapshot) if snapshot else b"",
            now,
            session_id,
            len(events),
            "1" if self.bounded else "0",
        ]
        for audience, frame in events:
            args += [audience, frame]
        room_keys = [
            keys.seq(session_id),
            keys.log(session_id),
            command_key or keys.command(session_id, "-", "-"),
            keys.snapshot(session_id),
            keys.DIRTY,
            keys.high_water(session_id),
        ]
        status, value = await self._append(keys=room_keys, args=args)
        status = status.decode()
        if status == "duplicate":
            return AppendResult("duplicate", *_parse_range(value))
        seq = int(value)
        if status in ("conflict", "reserve"):
            return AppendResult(status, seq, seq)
        return AppendResult("ok", expected_seq + 1, seq)

    async def command_outcome(self, command_key: str) -> tuple[int, int] | None:
        raw = await _get(self.redis, command_key)
        return _parse_range(raw) if raw else None

    async def current_seqs(self, session_ids: list[str]) -> list[int]:
        pipe = self.redis.pipeline(transaction=False)
        for session_id in session_ids:
            pipe.get(keys.seq(session_id))
        return [int(raw) if raw else 0 for raw in await pipe.execute()]

    async def current_seq(self, session_id: str) -> int | None:
        raw = await _get(self.redis, keys.seq(session_id))
        return int(raw) if raw is not None else None

    async def read(
        self, session_id: str, after: int, until: int | None = None, count: int | None = None
    ) -> list[StoredEvent]:
        """Events with seq in (after, until], oldest first."""
        end = f"{until}-0" if until is not None else "+"
        entries = cast(
            "RawEntries",
            await self.redis.xrange(keys.log(session_id), f"{after + 1}-0", end, count=count),
        )
        return [_stored(entry_id, fields) for entry_id, fields in entries]

    async def snapshot(self, session_id: str) -> Snapshot | None:
        raw = await _get(self.redis, keys.snapshot(session_id))
        return decode_snapshot(raw) if raw else None

    async def restore(
        self, session_id: str, snapshot: Snapshot, high_water: int, epoch: int
    ) -> bool:
        """Rebuilds the room's keys at `snapshot.seq` unless another process already did."""
        restored = await self._restore(
            keys=[
                keys.seq(session_id),
                keys.snapshot(session_id),
                keys.high_water(session_id),
                keys.epoch(session_id),
            ],
            args=[snapshot.seq, encode_snapshot(snapshot), high_water, epoch],
        )
        return bool(restored)

    async def raise_high_water(self, session_id: str, reserved: int) -> None:
        await self._high_water(keys=[keys.high_water(session_id)], args=[reserved])

    async def epoch(self, session_id: str) -> int:
        raw = await _get(self.redis, keys.epoch(session_id))
        return int(raw) if raw else 0

    async def claim(self, schedule: str, now: float, lease_secs: float, limit: int) -> list[str]:
        members = await self._claim(keys=[schedule], args=[now, lease_secs, limit])
        return [member.decode() for member in members]

    async def settle(
        self, schedule: str, session_id: str, seen_seq: int, next_due: float | None
    ) -> bool:
        done = await self._settle(
            keys=[keys.seq(session_id), schedule],
            args=[seen_seq, "" if next_due is None else next_due, session_id],
        )
        return bool(done)

    async def archived_seqs(self, session_ids: list[str]) -> list[int]:
        pipe = self.redis.pipeline(transaction=False)
        for session_id in session_ids:
            pipe.get(keys.archived(session_id))
        return [int(raw) if raw else 0 for raw in await pipe.execute()]

    async def read_many(self, ranges: list[tuple[str, int, int]]) -> list[list[StoredEvent]]:
        """For each (room, after, until): its events with seq in (after, until], in one trip."""
        pipe = self.redis.pipeline(transaction=False)
        for session_id, after, until in ranges:
            pipe.xrange(keys.log(session_id), f"{after + 1}-0", f"{until}-0")
        replies = await pipe.execute()
        return [
            [_stored(entry_id, fields) for entry_id, fields in entries] if until > after else []
            for (_, after, until), entries in zip(ranges, replies, strict=True)
        ]

    async def mark_archived_many(self, rooms: list[tuple[str, int]], now: float) -> None:
        """Records archive positions; a room stays dirty if it moved on meanwhile. Trims what
        resuming clients no longer need."""
        pipe = self.redis.pipeline(transaction=False)
        for session_id, seq in rooms:
            await self._archived(
                keys=[keys.seq(session_id), keys.archived(session_id), keys.DIRTY],
                args=[seq, now, session_id],
                client=pipe,
            )
            if seq > RETAINED_EVENTS:
                pipe.xtrim(
                    keys.log(session_id), minid=f"{seq - RETAINED_EVENTS}-0", approximate=True
                )
        await pipe.execute()

    async def expire_room(self, session_id: str, ttl_secs: int) -> None:
        pipe = self.redis.pipeline(transaction=False)
        for key in keys.all_room_keys(session_id):
            pipe.expire(key, ttl_secs)
        await pipe.execute()
