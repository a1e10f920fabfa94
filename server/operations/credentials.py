"""The embedded servers' passwords: generated once, kept in DATA_DIR/credentials/, owner-only.

Each server has one file (`postgres_password`, `valkey_password`) holding one URL-safe token; the
directory is mode 0700 and the file 0600. A server is given its file's password at every start,
so replacing or deleting a file (a new password is then generated) rotates that server's
password at its next start. URLs carrying a password are logged through `redact_url`.
"""

from __future__ import annotations

import os
import re
import secrets
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from server.operations.log_redaction import REDACTED

if TYPE_CHECKING:
    from pathlib import Path

CREDENTIALS_DIR = "credentials"
# 32 random bytes (256 bits): a 43-character token that needs no quoting in a URL, SQL or config.
PASSWORD_BYTES = 32
# What a password file may hold: it goes as is into an SQL literal and the Valkey config.
_VALID_PASSWORD = re.compile(r"[A-Za-z0-9_-]{16,256}")


class CredentialsError(RuntimeError):
    """A password file that cannot be used; the message names the file and the fix."""


def password_path(data_dir: Path, server: str) -> Path:
    return data_dir / CREDENTIALS_DIR / f"{server}_password"


def server_password(data_dir: Path, server: str) -> tuple[str, bool]:
    """The server's password, and whether it was generated just now.

    The caller holds the server's start lock, so two processes never generate one each.
    """
    path = password_path(data_dir, server)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.parent.chmod(0o700)  # also a directory made by hand: nobody else may list or open it
    if path.exists():
        path.chmod(0o600)
        value = path.read_text().strip()
        if not _VALID_PASSWORD.fullmatch(value):
            raise CredentialsError(
                f"{path} must hold 16 to 256 characters from A-Z a-z 0-9 _ -; "
                "delete it and a new password is generated at the next start"
            )
        return value, False
    value = secrets.token_urlsafe(PASSWORD_BYTES)
    partial = path.with_name(f".{path.name}.new")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)  # never a half-written file under the real name
    return value, True


def redact_url(url: str) -> str:
    """`url` with the password of its userinfo replaced by `[redacted]`, for a log line."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:{REDACTED}@{host}"))
