"""The caller's profile, and role changes by admins.

No `from __future__ import annotations`: Litestar reads these signatures at runtime.
"""

import uuid

from litestar import Controller, get, patch, put

from server.accounts import live
from server.accounts import users as accounts
from server.accounts.guards import Principal, require_role
from server.accounts.schemas import ProfileUpdate, RoleUpdate, UserView
from server.context import AppContext
from server.limits import PROFILE_BODY_BYTES


class UserController(Controller):
    path = "/"
    tags = ["users"]

    @get("/me", summary="The signed-in user's profile")
    async def me(self, principal: Principal) -> UserView:
        return accounts.view(await accounts.get_user(principal.user_id))

    @patch(
        "/me",
        summary="Change name, avatar or leaderboard listing (the role is not changed here)",
        request_max_body_size=PROFILE_BODY_BYTES,
    )
    async def update_me(
        self, data: ProfileUpdate, principal: Principal, ctx: AppContext
    ) -> UserView:
        row = await accounts.update_profile(
            principal.user_id, data.name, data.avatar_url, leaderboard=data.leaderboard
        )
        if data.leaderboard is not None:
            await ctx.progress.refresh_ranks()
        return accounts.view(row)

    @put(
        "/users/{user_id:uuid}/role",
        guards=[require_role("admin")],
        summary="Set a user's role (admins only; applies at once: older tokens must be refreshed)",
    )
    async def set_role(
        self, user_id: uuid.UUID, data: RoleUpdate, principal: Principal, ctx: AppContext
    ) -> UserView:
        row = await accounts.set_role(user_id, data.role, by=principal.user_id)
        await live.record_role(ctx.redis, ctx.settings, user_id, row["role"])
        return accounts.view(row)
