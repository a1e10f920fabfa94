"""The app context: the long-lived parts one app process shares (pools, room engine, broker,
stores), created once in `create_app`, started in its lifespan and injected as `ctx`."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import redis.asyncio as aioredis

from evaluator.broker import create_broker
from evaluator.clarifier.build import make_matcher
from evaluator.followups import FollowupWriter
from evaluator.pipeline import EvaluationQueue, broker_enqueue
from evaluator.stats import ProgressStore
from evaluator.store import EvaluationStore
from rooms.engine import RoomEngine
from server.accounts.live import LiveSockets, rearm_from_postgres
from server.operations import db
from server.operations.teardown import Teardown, cancelled
from server.sessions.quotas import Quotas
from server.sessions.service import SessionService
from server.sessions.socket_tools import Heartbeats

if TYPE_CHECKING:
    from evaluator.broker import EvaluationBroker
    from server.settings import Settings

log = logging.getLogger("interview_rooms")
# Commands queue for a free connection rather than fail under a burst (redis-py's plain pool
# raises "Too many connections"); a few hundred sockets to one Redis is cheap for it.
REDIS_MAX_CONNECTIONS = 256
REDIS_POOL_WAIT_SECS = 5.0
# The context's share of the shutdown grace (serving.SHUTDOWN_GRACE_SECS, 9 s): uvicorn drains
# requests and sockets for 4 s before it, asyncio's own clean-up comes after.
STOP_BUDGET_SECS = 3.0


class AppContext:
    """Everything a handler or the socket needs; no module globals."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        assert self.settings.redis_url and self.settings.database_url, "URLs resolved by the CLI"
        pool = aioredis.BlockingConnectionPool.from_url(
            self.settings.redis_url,
            max_connections=REDIS_MAX_CONNECTIONS,
            timeout=REDIS_POOL_WAIT_SECS,
        )
        self.redis: aioredis.Redis = aioredis.Redis(connection_pool=pool)
        self.broker: EvaluationBroker = create_broker(
            self.settings.redis_url, self.settings.task_redelivery_secs
        )
        self.matcher = make_matcher(settings.clarifier_config(), db.pool)
        self.engine = RoomEngine(self.redis, db.pool, self.matcher)
        self.store, self.rooms, self.hub = self.engine.store, self.engine.rooms, self.engine.hub
        self.archiver = self.engine.archiver
        # Writes the system's follow-up questions in the process that fires them.
        self.followups = FollowupWriter.from_settings(
            db.pool, settings.openai_api_key, settings.openai_base_url, settings.openai_model
        )
        self.rooms.followups = self.followups
        self.sessions = SessionService(self.rooms)
        # Runs after the engine's own hook has written the solution row: every submission
        # (REST, WebSocket, timer) gets its evaluation job.
        self.evaluations = EvaluationQueue(
            broker_enqueue(self.broker), self.redis, self.settings.evaluation_requeue_secs
        )
        self.rooms.on_append(self.evaluations.on_room_append)
        self.evaluation_store = EvaluationStore(db.pool)
        self.progress = ProgressStore(db.pool)
        self.heartbeats = Heartbeats()
        self.live = LiveSockets(self.redis)
        self.engine.loss_watch.on_loss(lambda: rearm_from_postgres(self.redis, settings))
        self.quotas = Quotas(self.redis)
        self._heartbeat_task: asyncio.Task[None] | None = None
        self._resident: set[asyncio.Task[Any]] | None = None

    async def start(self) -> None:
        db.configure(self.settings.database_url or "")
        await db.start_pool()
        await self.broker.startup()
        await self.engine.start_background()
        if self.matcher is not None:
            await self.matcher.start()
        self._heartbeat_task = asyncio.create_task(self.heartbeats.run(), name="ws-heartbeats")
        await self.live.start()
        self._resident = asyncio.all_tasks()  # these loops, the server's; stop() settles the rest

    async def stop(self) -> None:
        """Stops in dependency order within `STOP_BUDGET_SECS`: the tasks still running
        (requests and sockets uvicorn let go, what they spawned), then what runs loops (live
        sockets, heartbeats, the room engine and its hub, the matcher), then the broker, Redis
        and Postgres, so nothing still running meets a closed pool (redis-py answers that with
        AttributeError tracebacks). A step that overruns is logged and left behind."""
        teardown = Teardown(STOP_BUDGET_SECS)
        resident = self._resident
        await teardown.settle("requests and sockets", self._others(resident))
        await teardown.step("live sockets", self.live.stop())
        await teardown.step("heartbeats", cancelled(self._heartbeat_task))
        await teardown.step("room engine", self.engine.stop_background())
        if self.matcher is not None:
            await teardown.step("clarification matcher", self.matcher.close())
        await teardown.step("follow-up writer", self.followups.close())
        await teardown.settle("tasks", self._others(resident))
        await teardown.step("broker", self.broker.shutdown())
        await teardown.step("redis", self.redis.aclose())
        if not await teardown.step("database", db.close_pool()):
            db.pool().terminate()  # a connection still held would keep close() waiting

    @staticmethod
    def _others(resident: set[asyncio.Task[Any]] | None) -> set[asyncio.Task[Any]]:
        """Tasks started since `start()` ended (none if it never did), other than this one."""
        if resident is None:
            return set()
        return asyncio.all_tasks() - resident - {asyncio.current_task()}
