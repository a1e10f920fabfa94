"""`interview-rooms serve`: uvicorn on a socket taken before the app starts, with a bounded stop.

The port is bound and listened on first, so a taken port fails before any start-up work (no
pool opened, no background loop started, nothing to tear down): exit 3 at once. A stop
(SIGTERM, Ctrl-C) drains requests and sockets for `DRAIN_SECS`, cancels what is left, stops the
app context (`AppContext.stop`, itself bounded) and exits 0. Whatever still runs at
`SHUTDOWN_GRACE_SECS` after the signal is abandoned: the process exits 1 and says so.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import signal
import socket
import sys
import threading
from logging.handlers import QueueListener
from typing import TYPE_CHECKING

import uvicorn
from uvicorn.config import LOGGING_CONFIG, STARTUP_FAILURE

from server.operations.log_redaction import uvicorn_log_config

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import FrameType

    from server.settings import Settings

log = logging.getLogger("interview_rooms")

EXIT_STOPPED = 0
EXIT_ABANDONED = 1  # the stop did not finish within the grace
EXIT_STARTUP_FAILURE = STARTUP_FAILURE  # 3, uvicorn's own: port taken, start-up failed
# From SIGTERM to the end of the process, whatever is still running: under Docker's default
# stop timeout (10 s, then SIGKILL), so the process ends by itself and says why.
SHUTDOWN_GRACE_SECS = 9.0
# Open requests and room sockets (told 1012 "service restart") get this long to finish before
# uvicorn cancels them; then the context's stop (`AppContext.stop`, 3 s) and asyncio's clean-up.
DRAIN_SECS = 4
# uvicorn's default; connections made while the app starts wait in it instead of being refused.
LISTEN_BACKLOG = 2048
# Frames up to this reach the app, which refuses anything over 64 KiB with an error frame and
# keeps the socket; larger ones are cut off by uvicorn with close code 1009.
WS_HARD_LIMIT_BYTES = 1024 * 1024


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port; raises OSError (EADDRINUSE) if the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        # Rebinding at once after a crash (connections in TIME_WAIT); listening at once makes
        # the claim exclusive, which binding alone with SO_REUSEADDR is not on Linux.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(LISTEN_BACKLOG)
    except BaseException:
        sock.close()
        raise
    return sock


def _flush_logs() -> None:
    """Writes out queued records (the app logs through a queue thread) before a hard exit."""
    for handler in logging.getLogger().handlers:
        listener = getattr(handler, "listener", None)
        if isinstance(listener, QueueListener):
            listener.stop()


class Deadline:
    """Ends the process `grace_secs` after `arm()` if it has not ended by itself by then."""

    def __init__(
        self,
        grace_secs: float,
        exit: Callable[[int], object] = os._exit,
        flush: Callable[[], None] = _flush_logs,
    ) -> None:
        self.grace_secs = grace_secs
        self._exit, self._flush = exit, flush
        self._timer: threading.Timer | None = None

    def arm(self) -> None:
        if self._timer is None:
            self._timer = threading.Timer(self.grace_secs, self._expire)
            self._timer.daemon = True
            self._timer.start()

    def _expire(self) -> None:
        log.error(
            "the stop did not finish within %g s; exiting with work still running "
            "(the threads' stacks follow)",
            self.grace_secs,
        )
        try:
            self._flush()
            faulthandler.dump_traceback(sys.stderr, all_threads=True)
        finally:
            self._exit(EXIT_ABANDONED)


class BoundedServer(uvicorn.Server):
    """uvicorn's server whose stop and failed start are bounded by a `Deadline`."""

    def __init__(self, config: uvicorn.Config, deadline: Deadline) -> None:
        super().__init__(config)
        self.deadline = deadline

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # As uvicorn's, except that it does not re-raise the signal once stopped (which
        # would end the process by the signal and skip the embedded servers' clean-up).
        self.deadline.arm()
        if self.should_exit and sig == signal.SIGINT:
            self.force_exit = True
        else:
            self.should_exit = True

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets)
        except SystemExit:
            # A failed start exits 3; asyncio's clean-up of what it left gets the grace.
            self.deadline.arm()
            raise


def serve(ready: Settings, listener: socket.socket) -> int:
    """Runs the app on `listener` until a stop; the exit code of `serve`."""
    config = uvicorn.Config(
        "server.app:create_app",
        factory=True,
        log_level=ready.log_level.lower(),
        # Access and handshake lines carry URLs: tokens in them are redacted.
        log_config=uvicorn_log_config(LOGGING_CONFIG),
        # X-Forwarded-For is believed only from the proxies the operator names; without
        # them uvicorn would trust any local process that sends the header (127.0.0.1).
        proxy_headers=ready.forwarded_allow_ips is not None,
        forwarded_allow_ips=ready.forwarded_allow_ips,
        ws_max_size=WS_HARD_LIMIT_BYTES,
        ws="websockets-sansio",
        # Per-message deflate keeps a zlib stream per socket (~60 KB each, measured);
        # room frames are small JSON, so memory per idle connection matters more.
        ws_per_message_deflate=False,
        lifespan="on",
        timeout_graceful_shutdown=DRAIN_SECS,
    )
    server = BoundedServer(config, Deadline(SHUTDOWN_GRACE_SECS))
    server.run(sockets=[listener])
    return EXIT_STOPPED if server.started else EXIT_STARTUP_FAILURE
