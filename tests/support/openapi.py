"""The app built in-process by `create_app()`, and its OpenAPI document; nothing is connected to."""

from __future__ import annotations

import tempfile
import warnings
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from server.settings import load_settings

if TYPE_CHECKING:
    from litestar import Litestar

SETTINGS = {
    "ENV": "test",
    "JWT_SECRET": "o" * 48,
    # Never written to (the secret is given) and never connected to.
    "DATA_DIR": str(Path(tempfile.gettempdir()) / "interview-rooms-openapi"),
    "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
    "REDIS_URL": "redis://127.0.0.1:1/0",
}


@cache
def built_app() -> Litestar:
    # Importing and building the app runs Litestar's checks of every handler, which warn about
    # deprecated forms used elsewhere (`Parameter(query=)`, inferred dependencies).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from server.app import create_app

        return create_app(load_settings(SETTINGS))


def app_document() -> dict[str, Any]:
    """`/schema/openapi.json` as the app serves it, as plain JSON."""
    document: dict[str, Any] = msgspec.json.decode(
        msgspec.json.encode(built_app().openapi_schema.to_schema())
    )
    return document
