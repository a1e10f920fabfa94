"""Progress: the caller's stats and study plan, and the leaderboard."""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar import Controller, get
from litestar.params import Parameter

from server.progress.schemas import (
    LeaderboardPage,
    StudyPlanView,
    UserStatsView,
    leaderboard_entry,
    stats_view,
    study_plan_view,
)
from server.sessions.service import SessionService

if TYPE_CHECKING:
    from server.accounts.tokens import Principal
    from server.context import AppContext

MAX_LEADERBOARD_PAGE = 100
# Far past any number of users; Postgres refuses an OFFSET past 2**63 - 1 (it was a 500).
MAX_LEADERBOARD_OFFSET = 2**31 - 1


class ProgressController(Controller):
    tags = ["progress"]

    @get("/me/stats", summary="My progress: solved, time per phase, scores, rank, topics")
    async def my_stats(self, ctx: AppContext, principal: Principal) -> UserStatsView:
        row = await ctx.progress.user_stats(principal.user_id)
        name = await SessionService.display_name(principal.user_id)
        return stats_view(principal.user_id, row, name)

    @get("/me/study-plan", summary="My weakest rubric areas and the questions that practise them")
    async def my_study_plan(self, ctx: AppContext, principal: Principal) -> StudyPlanView:
        return study_plan_view(await ctx.progress.user_stats(principal.user_id))

    @get(
        "/leaderboard",
        summary="Users ranked by questions solved, then average score; by display name only",
    )
    async def leaderboard(
        self,
        ctx: AppContext,
        principal: Principal,
        limit: int = Parameter(default=20, ge=1, le=MAX_LEADERBOARD_PAGE),
        offset: int = Parameter(default=0, ge=0, le=MAX_LEADERBOARD_OFFSET),
    ) -> LeaderboardPage:
        rows, total = await ctx.progress.leaderboard(limit, offset)
        more = offset + len(rows) < total
        return LeaderboardPage(
            entries=[leaderboard_entry(row) for row in rows],
            total=total,
            next_offset=offset + len(rows) if more else None,
        )
