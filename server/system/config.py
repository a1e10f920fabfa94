"""What the browser needs to know about this server before anyone signs in."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec
from litestar import Controller, get

if TYPE_CHECKING:
    from server.context import AppContext


class PublicConfig(msgspec.Struct):
    google_client_id: str | None


class ConfigController(Controller):
    path = "/config"
    tags = ["operations"]

    @get(summary="Public configuration: which optional sign-in methods are on")
    async def config(self, ctx: AppContext) -> PublicConfig:
        return PublicConfig(google_client_id=ctx.settings.google_client_id)
