"""Keeps credentials out of the logs: a filter that redacts them from every record it sees.

uvicorn writes the full request target of every HTTP request (`uvicorn.access`) and of every
WebSocket handshake (`uvicorn.error`, "WebSocket /ws/...?token=..."), so an access token passed as
`?token=` or an invite token in `/invites/<token>/accept` would land in the log. The filter
rewrites the message and its string arguments before any handler formats them; what it redacts
is listed in docs/security.md.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[redacted]"
# Query parameters that carry a credential (`token` is the WebSocket's access token).
SECRET_QUERY_PARAMS = ("token", "access_token", "ticket")
# uvicorn's access lines, and its WebSocket handshake lines (logged on the error logger).
UVICORN_LOGGERS = ("uvicorn.access", "uvicorn.error")
FILTER_NAME = "redact_secrets"

_SECRET_QUERY = re.compile(
    r"(?P<keep>(?:^|[?&;\s])(?:" + "|".join(SECRET_QUERY_PARAMS) + r")=)[^&;#\s\"']+",
    re.IGNORECASE,
)
_INVITE_SEGMENT = re.compile(r"(?P<keep>/invites/)[^/?#\s\"']+")
_AUTHORIZATION = re.compile(
    r"(?P<keep>\bauthorization[\"']?\s*[:=,]\s*[\"']?(?:(?:bearer|basic|token)\s+)?)"
    r"[^\s\"',;}]+",
    re.IGNORECASE,
)
# "Bearer <token>" anywhere, and the WebSocket subprotocol pair "bearer, <token>".
_BEARER = re.compile(r"(?P<keep>\bbearer[\"']?(?:\s*,\s*[\"']?|\s+))[A-Za-z0-9._~+/=-]{8,}", re.I)
# A JWT (our access tokens) wherever it appears: three base64url parts, the first `{"...`.
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")

# The password in a URL's userinfo (`postgresql://user:password@host`), wherever a URL is logged.
_URL_PASSWORD = re.compile(r"(?P<keep>\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s/]+(?=@)", re.I)

_PATTERNS = (_SECRET_QUERY, _INVITE_SEGMENT, _AUTHORIZATION, _BEARER, _URL_PASSWORD)


def redact(text: str) -> str:
    """`text` with every credential it carries replaced by `[redacted]`."""
    for pattern in _PATTERNS:
        text = pattern.sub(lambda match: match.group("keep") + REDACTED, text)
    return _JWT.sub(REDACTED, text)


def _redact_value(value: object) -> object:
    return redact(value) if isinstance(value, str) else value


class RedactSecrets(logging.Filter):
    """Redacts credentials from a record's message and arguments; never drops a record.

    Arguments keep their count and position, since uvicorn's access formatter unpacks them.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_value(arg) for arg in record.args)
        elif isinstance(record.args, Mapping):
            record.args = {key: _redact_value(arg) for key, arg in record.args.items()}
        return True


def install(logger_names: tuple[str, ...] = UVICORN_LOGGERS) -> None:
    """Adds the filter to uvicorn's loggers (once), however uvicorn was started."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, RedactSecrets) for existing in logger.filters):
            logger.addFilter(RedactSecrets())


def uvicorn_log_config(base: Mapping[str, Any]) -> dict[str, Any]:
    """uvicorn's dict log config `base` with the filter on all its handlers and loggers."""
    config = copy.deepcopy(dict(base))
    config.setdefault("filters", {})[FILTER_NAME] = {"()": RedactSecrets}
    for section in ("handlers", "loggers"):
        for entry in config.get(section, {}).values():
            filters = entry.setdefault("filters", [])
            if FILTER_NAME not in filters:
                filters.append(FILTER_NAME)
    return config
