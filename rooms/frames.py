"""Wire frames for room events: built once when the event is appended, sent as-is to every
socket that may see it, stored as-is in the room's stream and archive."""

from __future__ import annotations

from typing import Any

import msgspec

from domain.events import Event, audience, encode_event
from domain.state import RoomState

_encoder = msgspec.json.Encoder()
# Fields a frame adds around the event's own; stripped again to decode the event.
ENVELOPE_FIELDS = ("seq", "ts", "audience", "actor")


class StoredEvent(msgspec.Struct, frozen=True):
    seq: int
    audience: str
    frame: bytes


def build_frame(event: Event, seq: int, at: float, actor: str) -> bytes:
    """`{"seq":…,"ts":…,"audience":…,"actor":…,"type":…,<event fields>}` without re-encoding."""
    head = _encoder.encode(
        {"seq": seq, "ts": round(at, 3), "audience": audience(event), "actor": actor}
    )
    return head[:-1] + b"," + encode_event(event)[1:]


def decode_frame(frame: bytes) -> tuple[dict[str, Any], Event]:
    """The envelope fields and the domain event of a stored frame."""
    raw: dict[str, Any] = msgspec.json.decode(frame)
    envelope = {name: raw.pop(name, None) for name in ENVELOPE_FIELDS}
    return envelope, msgspec.convert(raw, Event)


class Snapshot(msgspec.Struct, frozen=True):
    """A room's state at event `seq`."""

    seq: int
    state: RoomState


def encode_snapshot(snapshot: Snapshot) -> bytes:
    return _encoder.encode(snapshot)


def decode_snapshot(raw: bytes) -> Snapshot:
    return msgspec.json.decode(raw, type=Snapshot)


def snapshot_frame(snapshot: Snapshot, role: str, extra: dict[str, Any]) -> bytes:
    """The `snapshot` frame a client gets on connect or resync, as its role may see it."""
    state = snapshot.state.state_for(role)
    return _encoder.encode({"type": "snapshot", "seq": snapshot.seq, "state": state, **extra})
