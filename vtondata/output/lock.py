"""One build per output folder: ``OUT/.vtondata.lock`` names the build that holds it.

Two builds writing one folder would interleave their chunks and leave index
rows no re-run removes, so a build takes the lock before it touches ``OUT``
and keeps it until it ends. The lock file is created exclusively
(``O_CREAT | O_EXCL``) and records the holder's pid, host name and start
time. A lock left by a build that died is *stale* when it names this host and
a pid that no longer runs; it is then taken over. A lock from another host
cannot be checked from here, so it is never taken over: the message names
its holder and the file to delete once that build is known to be gone.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from vtondata.errors import OutputError
from vtondata.output.layout import LOCK_NAME, output_write_error


@dataclass(frozen=True)
class LockHolder:
    """Who holds an output folder's lock (``pid`` on ``host``, since ``started_utc``)."""

    pid: int
    host: str
    started_utc: str

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host}, since {self.started_utc}"


UNREADABLE_GRACE_S = 10.0
"""A lock file without a readable holder is younger than this while its build is still writing it."""


def lock_path(out: Path) -> Path:
    return out / LOCK_NAME


@contextmanager
def output_lock(out: Path) -> Iterator[LockHolder]:
    """Hold ``OUT``'s lock for the block; raise :class:`OutputError` when another live build holds it.

    ``OUT`` is created if missing (the lock needs a folder to live in).
    """
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise output_write_error(out, error) from error
    me = LockHolder(os.getpid(), socket.gethostname(), datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    path = lock_path(out)
    if not _create(path, me):
        holder = read_holder(path)
        if holder is not None and not is_stale(holder):
            raise OutputError(
                f"{out} is in use by another build ({holder.describe()}); wait for it to finish, "
                f"or delete {path} if that build is gone"
            )
        if holder is None and _age_s(path) < UNREADABLE_GRACE_S:
            raise OutputError(f"{out} is in use by another build that started just now; try again")
        path.unlink(missing_ok=True)
        if not _create(path, me):
            raise OutputError(f"{out} is in use by another build that started just now; try again")
    try:
        yield me
    finally:
        if read_holder(path) == me:
            path.unlink(missing_ok=True)


def read_holder(path: Path) -> LockHolder | None:
    """The holder recorded in a lock file, or ``None`` when it is missing or unreadable."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        return LockHolder(int(document["pid"]), str(document["host"]), str(document["started_utc"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def is_stale(holder: LockHolder) -> bool:
    """Whether the holder is known to be gone: same host and its pid no longer exists."""
    if holder.host != socket.gethostname():
        return False
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _age_s(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return UNREADABLE_GRACE_S


def _create(path: Path, holder: LockHolder) -> bool:
    """Create the lock file exclusively; ``False`` when it already exists."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    except OSError as error:
        raise output_write_error(path.parent, error) from error
    try:
        os.write(descriptor, json.dumps(asdict(holder)).encode())
    except OSError as error:
        path.unlink(missing_ok=True)
        raise output_write_error(path.parent, error) from error
    finally:
        os.close(descriptor)
    return True
