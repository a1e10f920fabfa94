"""Piccolo's configuration module (PICCOLO_CONF=server.operations.piccolo_conf).

The engine reads DATABASE_URL, which every entry point sets before importing this: either the
operator's URL or the embedded server's.
"""

from __future__ import annotations

import os

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine

DB = PostgresEngine(config={"dsn": os.environ["DATABASE_URL"]}, log_queries=False)

APP_REGISTRY = AppRegistry(apps=["domain.piccolo_app"])
