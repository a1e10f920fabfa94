"""Redis key names. A room's keys share the hash tag `{room:<id>}`, so a room lives on one
Redis Cluster shard and its Lua scripts touch one slot."""

from __future__ import annotations

# Rooms with events not yet archived to Postgres (score: when they became dirty).
DIRTY = "rooms:dirty"
# Rooms with a timer to fire (score: when the next one is due).
TIMERS = "rooms:timers"
# Rooms with sockets whose presence may expire (score: the earliest expiry).
PRESENCE = "rooms:presence"
# Set once everything Redis must hold was re-armed from Postgres; its absence means Redis lost
# its data (a FLUSHALL, a restart without persistence, a failover to an empty replica).
ALIVE = "redis:alive"
# Held by the one process re-arming after a loss.
REARMING = "redis:rearming"


def tag(session_id: str) -> str:
    return f"{{room:{session_id}}}"


def seq(session_id: str) -> str:
    return f"{tag(session_id)}:seq"


def log(session_id: str) -> str:
    return f"{tag(session_id)}:log"


def events(session_id: str) -> str:
    """The room's pub/sub channel (append.lua builds the same name)."""
    return f"{tag(session_id)}:events"


def snapshot(session_id: str) -> str:
    return f"{tag(session_id)}:snap"


def archived(session_id: str) -> str:
    return f"{tag(session_id)}:archived"


def high_water(session_id: str) -> str:
    """The highest seq reserved in Postgres: no append goes past it (append.lua)."""
    return f"{tag(session_id)}:hw"


def epoch(session_id: str) -> str:
    """How many times the room was rebuilt after Redis lost it (0: never)."""
    return f"{tag(session_id)}:epoch"


def presence(session_id: str) -> str:
    return f"{tag(session_id)}:presence"


def command(session_id: str, actor: str, command_id: str) -> str:
    return f"{tag(session_id)}:cmd:{actor}:{command_id}"


def all_room_keys(session_id: str) -> list[str]:
    return [
        seq(session_id),
        log(session_id),
        snapshot(session_id),
        archived(session_id),
        presence(session_id),
        high_water(session_id),
        epoch(session_id),
    ]
