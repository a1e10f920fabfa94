"""Piccolo tables the live room needs beyond the seed: snapshots, the archived log, observers,
and the progress stats that evaluations feed."""

from __future__ import annotations

import uuid

from piccolo.columns import (
    JSONB,
    UUID,
    BigInt,
    Boolean,
    DoublePrecision,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.constraints import Unique
from piccolo.table import Table

from domain.tables import InterviewSession, User


class SessionSnapshot(Table, tablename="session_snapshots"):
    """The room's state at event `seq`; one row per session, overwritten as the room advances."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    session_id = ForeignKey(InterviewSession, on_delete=OnDelete.cascade, unique=True)
    seq = BigInt()
    state = JSONB()
    updated_at = Timestamptz()


class SessionEvent(Table, tablename="session_events"):
    """The room's event log, archived for replay and for rebuilding a room Redis lost."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    session_id = ForeignKey(InterviewSession, on_delete=OnDelete.cascade, index=True)
    seq = BigInt()
    type = Varchar(length=40)
    audience = Varchar(length=12, default="all")
    actor = Varchar(length=64, default="")
    payload = JSONB()
    created_at = Timestamptz()
    unique_seq = Unique(["session_id", "seq"])


class SessionInvite(Table, tablename="session_invites"):
    id = UUID(primary_key=True, default=uuid.uuid4)
    session_id = ForeignKey(InterviewSession, on_delete=OnDelete.cascade, index=True)
    token_hash = Varchar(length=128, unique=True)
    created_by = ForeignKey(User, on_delete=OnDelete.cascade)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    revoked = Boolean(default=False)
    revoked_at = Timestamptz(null=True, default=None)
    # The room role the invite grants: "interviewer" when staff invited, "peer" otherwise.
    role = Varchar(length=12, default="peer")
    max_uses = Integer(default=1)
    uses = Integer(default=0)
    # When set, only the account with this address may accept.
    email = Varchar(length=320, null=True, default=None)


class SessionObserver(Table, tablename="session_observers"):
    id = UUID(primary_key=True, default=uuid.uuid4)
    session_id = ForeignKey(InterviewSession, on_delete=OnDelete.cascade, index=True)
    user_id = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    joined_at = Timestamptz()
    role = Varchar(length=12, default="peer")
    invite_id = ForeignKey(SessionInvite, on_delete=OnDelete.set_null, null=True, index=True)
    unique_observer = Unique(["session_id", "user_id"])


class UserStats(Table, tablename="user_stats"):
    """The seed's UserStats: progress per user, recomputed after each evaluation."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    user_id = ForeignKey(User, on_delete=OnDelete.cascade, unique=True)
    problems_solved = Integer(default=0)
    sessions_completed = Integer(default=0)
    time_spent_secs = BigInt(default=0)
    time_by_phase = JSONB(default="{}")
    average_score = DoublePrecision(default=0.0)
    best_score = Integer(default=0)
    rank = Integer(null=True, default=None)
    topic_scores = JSONB(default="{}")
    study_plan = JSONB(default="[]")
    notes = Text(default="")
    last_updated = Timestamptz()
