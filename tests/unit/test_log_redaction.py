"""The log filter redacts every credential a request line can carry, and nothing else."""

from __future__ import annotations

import logging

import pytest
from uvicorn.config import LOGGING_CONFIG
from uvicorn.logging import AccessFormatter

from server.operations.log_redaction import (
    FILTER_NAME,
    REDACTED,
    RedactSecrets,
    redact,
    uvicorn_log_config,
)

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJlLXNlY3JldA"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/questions?token=s3cret-value", f"/questions?token={REDACTED}"),
        ("/ws/sessions/1?after=4&token=s3cret&x=1", f"/ws/sessions/1?after=4&token={REDACTED}&x=1"),
        ("/cb?ACCESS_TOKEN=s3cret", f"/cb?ACCESS_TOKEN={REDACTED}"),
        ("/sso?ticket=ST-12345", f"/sso?ticket={REDACTED}"),
        ("token=s3cret&page=2", f"token={REDACTED}&page=2"),
        ("/invites/inv-secret-123/accept", f"/invites/{REDACTED}/accept"),
        ("/invites/inv-secret-123", f"/invites/{REDACTED}"),
        ("Authorization: Bearer abcdefghijkl", f"Authorization: Bearer {REDACTED}"),
        ("{'authorization': 'Basic dXNlcjpwYXNz'}", f"{{'authorization': 'Basic {REDACTED}'}}"),
        ("subprotocols bearer, abcdefghijkl", f"subprotocols bearer, {REDACTED}"),
        (f"decoded {JWT} for ada", f"decoded {REDACTED} for ada"),
        (
            "database postgresql://app:pa55-w0rd@db:5432/rooms",
            f"database postgresql://app:{REDACTED}@db:5432/rooms",
        ),
        ("redis redis://:s3cr3t_x@127.0.0.1:6379/0", f"redis redis://:{REDACTED}@127.0.0.1:6379/0"),
    ],
)
def test_credentials_are_redacted(line: str, expected: str) -> None:
    assert redact(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "/questions?page=2&tokens=3",
        "/sessions/7f8e/invites",
        "Send an access token as a bearer token.",
        "GET /health HTTP/1.1 200",
        "serving on http://127.0.0.1:8000 (API docs at /schema)",
        "redis://127.0.0.1:6379/0 and postgresql://app@db/rooms",
    ],
)
def test_lines_without_credentials_are_unchanged(line: str) -> None:
    assert redact(line) == line


def access_record(path: str) -> logging.LogRecord:
    """A record exactly as uvicorn's HTTP protocol logs it on `uvicorn.access`."""
    args = ("127.0.0.1:5000", "POST", path, "1.1", 200)
    return logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', args, None
    )


def test_an_access_record_keeps_its_shape_and_loses_its_secrets() -> None:
    record = access_record("/invites/inv-secret-123/accept?token=s3cret")
    assert RedactSecrets().filter(record) is True
    line = AccessFormatter("%(client_addr)s - %(request_line)s %(status_code)s").format(record)
    assert "inv-secret-123" not in line and "s3cret" not in line
    assert f"POST /invites/{REDACTED}/accept?token={REDACTED} HTTP/1.1 200" in line


def test_mapping_arguments_and_the_message_are_redacted() -> None:
    record = logging.LogRecord(
        "app", logging.INFO, __file__, 1, "opened ?token=abc %(url)s", None, None
    )
    record.args = {"url": "/x?ticket=t-1", "count": 3}
    RedactSecrets().filter(record)
    assert record.getMessage() == f"opened ?token={REDACTED} /x?ticket={REDACTED}"


def test_uvicorn_config_filters_every_handler_and_logger_without_changing_the_default() -> None:
    config = uvicorn_log_config(LOGGING_CONFIG)
    assert config["filters"][FILTER_NAME] == {"()": RedactSecrets}
    for section in ("handlers", "loggers"):
        assert all(FILTER_NAME in entry["filters"] for entry in config[section].values())
    assert "filters" not in LOGGING_CONFIG["handlers"]["access"]


def test_a_malformed_url_setting_is_refused_without_echoing_its_password() -> None:
    from server.settings import SettingsError, load_settings

    with pytest.raises(SettingsError) as refused:
        load_settings({"DATABASE_URL": "mysql://app:hunter2-secret@db/rooms"})
    assert "hunter2" not in str(refused.value)
    assert "DATABASE_URL" in str(refused.value)
