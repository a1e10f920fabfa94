"""Response bodies of the progress API: stats, the leaderboard, the study plan."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from domain.stats import StudyItem
from server.accounts.users import public_name


class UserStatsView(msgspec.Struct):
    user_id: uuid.UUID
    name: str
    problems_solved: int
    sessions_completed: int
    time_spent_secs: int
    time_by_phase: dict[str, int]
    average_score: float
    best_score: int
    rank: int | None
    topic_scores: dict[str, float]
    last_updated: datetime | None


class LeaderboardEntry(msgspec.Struct):
    """A listed user: only those who stay on the leaderboard, under their public name."""

    rank: int
    user_id: uuid.UUID
    name: str
    average_score: float
    problems_solved: int
    sessions_completed: int
    best_score: int


class LeaderboardPage(msgspec.Struct):
    entries: list[LeaderboardEntry]
    total: int
    next_offset: int | None


class TopicScore(msgspec.Struct):
    topic: str
    average_score: float


class StudyPlanView(msgspec.Struct):
    """The weakest rubric areas, each with questions to practise, and the weakest topics."""

    items: list[StudyItem]
    weak_topics: list[TopicScore]
    sessions_evaluated: int


def display_name(row: dict[str, Any]) -> str:
    return str(row.get("name") or str(row.get("email") or "someone").split("@")[0])[:100]


def stats_view(user_id: uuid.UUID, row: dict[str, Any] | None, name: str) -> UserStatsView:
    if row is None:
        return UserStatsView(user_id, name, 0, 0, 0, {}, 0.0, 0, None, {}, None)
    return UserStatsView(
        user_id=user_id,
        name=display_name(row),
        problems_solved=row["problems_solved"],
        sessions_completed=row["sessions_completed"],
        time_spent_secs=row["time_spent_secs"],
        time_by_phase={k: int(v) for k, v in (row["time_by_phase"] or {}).items()},
        average_score=row["average_score"],
        best_score=row["best_score"],
        rank=row["rank"],
        topic_scores=row["topic_scores"] or {},
        last_updated=row["last_updated"],
    )


def leaderboard_entry(row: dict[str, Any]) -> LeaderboardEntry:
    return LeaderboardEntry(
        rank=row["rank"],
        user_id=row["user_id"],
        name=public_name(row["user_id"], row["name"]),  # never a part of the address
        average_score=row["average_score"],
        problems_solved=row["problems_solved"],
        sessions_completed=row["sessions_completed"],
        best_score=row["best_score"],
    )


# Topics below this average are listed as weak in the study plan.
WEAK_TOPIC_SCORE = 70.0


def study_plan_view(row: dict[str, Any] | None) -> StudyPlanView:
    if row is None:
        return StudyPlanView([], [], 0)
    topics = sorted((row["topic_scores"] or {}).items(), key=lambda item: (item[1], item[0]))
    return StudyPlanView(
        items=msgspec.convert(row["study_plan"] or [], list[StudyItem]),
        weak_topics=[TopicScore(t, s) for t, s in topics if s < WEAK_TOPIC_SCORE],
        sessions_evaluated=row["sessions_completed"],
    )
