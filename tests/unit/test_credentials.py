"""The embedded servers' password files, and URLs as they may be logged."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from server.operations.credentials import (
    CredentialsError,
    password_path,
    redact_url,
    server_password,
)


@pytest.mark.parametrize(
    ("url", "logged"),
    [
        (
            "postgresql://postgres:s3cr3t-Token_x@127.0.0.1:5432/interview_rooms",
            "postgresql://postgres:[redacted]@127.0.0.1:5432/interview_rooms",
        ),
        ("redis://:s3cr3t@127.0.0.1:6379/0", "redis://:[redacted]@127.0.0.1:6379/0"),
        ("redis://default:s3cr3t@[::1]:6379/0", "redis://default:[redacted]@[::1]:6379/0"),
        (
            "rediss://:p%40ss@cache.example:6380/1?x=1",
            "rediss://:[redacted]@cache.example:6380/1?x=1",
        ),
        ("postgresql://postgres@127.0.0.1:5432/db", "postgresql://postgres@127.0.0.1:5432/db"),
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("", ""),
    ],
)
def test_a_logged_url_keeps_everything_but_the_password(url: str, logged: str) -> None:
    assert redact_url(url) == logged


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_password_is_generated_once_owner_only_then_reused(tmp_path: Path) -> None:
    first, generated = server_password(tmp_path, "valkey")
    assert generated and len(first) == 43
    assert mode(password_path(tmp_path, "valkey")) == 0o600
    assert mode(password_path(tmp_path, "valkey").parent) == 0o700
    assert server_password(tmp_path, "valkey") == (first, False)
    assert server_password(tmp_path, "postgres")[0] != first, "one password per server"


def test_loosened_permissions_are_tightened_again(tmp_path: Path) -> None:
    password, _ = server_password(tmp_path, "postgres")
    path = password_path(tmp_path, "postgres")
    path.chmod(0o644)
    path.parent.chmod(0o755)
    assert server_password(tmp_path, "postgres") == (password, False)
    assert (mode(path), mode(path.parent)) == (0o600, 0o700)


@pytest.mark.parametrize(
    "content", ["", "short", "has space in it here", "quote'injection-attempt"]
)
def test_a_password_file_that_cannot_go_into_sql_or_config_is_refused(
    tmp_path: Path, content: str
) -> None:
    path = password_path(tmp_path, "postgres")
    path.parent.mkdir(mode=0o700)
    path.write_text(content)
    with pytest.raises(CredentialsError, match="delete it"):
        server_password(tmp_path, "postgres")


def test_a_password_written_by_hand_is_used_as_it_is(tmp_path: Path) -> None:
    path = password_path(tmp_path, "valkey")
    path.parent.mkdir(mode=0o700)
    path.write_text("chosen-by-the-operator-0123456789\n")
    assert server_password(tmp_path, "valkey") == ("chosen-by-the-operator-0123456789", False)
