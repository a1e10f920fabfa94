"""The embedded Postgres cluster's directory, made ready before each start of the server.

Nothing listens while this runs: the cluster is created (initdb) with the password, or an
existing one is given it in single-user mode, and pg_hba.conf is rewritten to accept only SCRAM
password logins. Doing both at every start is what upgrades a cluster made before the embedded
servers had passwords (initdb `--auth=trust`) and what makes a new password file take effect.
"""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from server.operations.log_redaction import REDACTED

if TYPE_CHECKING:
    import pwd
    from collections.abc import Callable, Iterator

SUPERUSER = "postgres"
# The first line of the pg_hba.conf written at every start: a running server whose file lacks it
# was started before the embedded servers had passwords, and still trusts every local user.
HBA_MARKER = "# interview-rooms: password logins only"
PG_HBA = f"""{HBA_MARKER}; rewritten at every start of this server.
local all all scram-sha-256
host  all all 127.0.0.1/32 scram-sha-256
"""
# What single-user mode prints when a statement fails; it exits 0 all the same.
_FAILURE_MARKS = ("ERROR:", "FATAL:", "PANIC:")


class ClusterError(RuntimeError):
    """The cluster could not be made ready; the message carries postgres's words, redacted."""


def allow_traversal(path: Path) -> None:
    """Lets another user (the server's) reach `path`: search, not list, on every ancestor.

    Group as well as others: a process root starts as another user keeps root's group.
    """
    search = stat.S_IXGRP | stat.S_IXOTH
    for ancestor in path.parents:
        mode = ancestor.stat().st_mode
        if mode & search != search:
            ancestor.chmod(mode | search)


def prepare(
    pgdata: Path,
    password: str,
    owner: pwd.struct_passwd | None,
    bin_path: Path,
    initdb: Callable[..., str],
) -> bool:
    """Creates the cluster or sets its password, then writes pg_hba.conf; True if created."""
    user = owner.pw_name if owner else None
    created = not (pgdata / "PG_VERSION").exists()
    if created:
        with _password_file(password, owner) as pwfile:
            args = ["--auth=scram-sha-256", f"--pwfile={pwfile}", "--encoding=utf8"]
            initdb([*args, "-U", SUPERUSER], pgdata=pgdata, user=user)
    else:
        set_password(bin_path / "postgres", pgdata, password, user)
    _write_hba(pgdata, owner)
    return created


def set_password(postgres: Path, pgdata: Path, password: str, user: str | None) -> None:
    """Sets the superuser's password in single-user mode, which opens no socket meanwhile."""
    # credentials.py lets only URL-safe characters into a password: nothing here needs quoting.
    statement = f"ALTER ROLE {SUPERUSER} PASSWORD '{password}'\n"
    argv = [str(postgres), "--single", "-D", str(pgdata), SUPERUSER]
    done = subprocess.run(  # noqa: S603 - the wheel's binary; the statement goes on stdin
        argv, input=statement, capture_output=True, text=True, check=False, user=user
    )
    if done.returncode != 0 or any(mark in done.stderr for mark in _FAILURE_MARKS):
        detail = done.stderr.replace(password, REDACTED)[-2000:]
        raise ClusterError(f"setting the postgres password in single-user mode failed:\n{detail}")


def hba_is_ours(pgdata: Path) -> bool:
    hba = pgdata / "pg_hba.conf"
    return hba.exists() and hba.read_text().startswith(HBA_MARKER)


def _write_hba(pgdata: Path, owner: pwd.struct_passwd | None) -> None:
    partial = pgdata / ".pg_hba.conf.new"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(PG_HBA)
    if owner is not None:
        os.chown(partial, owner.pw_uid, owner.pw_gid)
    os.replace(partial, pgdata / "pg_hba.conf")


@contextlib.contextmanager
def _password_file(password: str, owner: pwd.struct_passwd | None) -> Iterator[Path]:
    """initdb's --pwfile: readable by the server's user alone, removed once initdb is done."""
    with tempfile.TemporaryDirectory(prefix="interview-rooms-initdb-") as directory:
        path = Path(directory) / "pwfile"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(password + "\n")
        if owner is not None:  # root runs the server as its own user, who must read the file
            os.chown(directory, owner.pw_uid, owner.pw_gid)
            os.chown(path, owner.pw_uid, owner.pw_gid)
        yield path
