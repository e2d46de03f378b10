"""Read an input file safely: regular files only, bounded, never blocking, hashed as read.

The scan looked at each path once, but a path can change before a worker
reads it: a file can be swapped for a FIFO (opening it would wait for a
writer for ever), a device, or a much larger file. :func:`read_input` opens
without following the wait (``O_NONBLOCK``), checks the type on the open
descriptor (so the check and the read see the same object), reads at most
``max_bytes + 1`` bytes and returns them with their sha256: what is stored is
what is hashed. A URL (``s3://...``) is read through :mod:`vtondata.storage`
instead, with the same bound and the same reason codes.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass

from vtondata.sample import Rejection
from vtondata.storage import is_url, read_url


@dataclass(frozen=True)
class InputBytes:
    """The bytes of a file as read, and their hex sha256."""

    data: bytes
    sha256: str


def read_input(
    path: str, max_bytes: int, what: str = "file", code_prefix: str = "ingest"
) -> InputBytes | Rejection:
    """Bytes of the regular file at ``path``, or a reason-coded :class:`Rejection`.

    Codes: ``<prefix>.unreadable`` (cannot open, not a regular file, read
    error), ``<prefix>.too_large`` (over ``max_bytes``). ``what`` names the file
    in messages ("garment photo").
    """
    if is_url(path):
        return _read_object(path, max_bytes, what, code_prefix)
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as error:
        return Rejection(f"{code_prefix}.unreadable", f"cannot open the {what}: {error.strerror}")
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            return Rejection(f"{code_prefix}.unreadable", f"the {what} is not a regular file ({_kind(mode)})")
        with os.fdopen(descriptor, "rb", closefd=False) as stream:
            data = stream.read(max_bytes + 1)
    except OSError as error:
        return Rejection(f"{code_prefix}.unreadable", f"cannot read the {what}: {error.strerror}")
    finally:
        os.close(descriptor)
    return _bounded(data, max_bytes, what, code_prefix)


def _read_object(url: str, max_bytes: int, what: str, code_prefix: str) -> InputBytes | Rejection:
    """An object in object storage: a missing object or a storage error is a rejection, not a crash."""
    try:
        data = read_url(url, max_bytes)
    except FileNotFoundError:
        return Rejection(f"{code_prefix}.unreadable", f"cannot open the {what}: no such object")
    except OSError as error:
        return Rejection(f"{code_prefix}.unreadable", f"cannot read the {what}: {error}")
    return _bounded(data, max_bytes, what, code_prefix)


def _bounded(data: bytes, max_bytes: int, what: str, code_prefix: str) -> InputBytes | Rejection:
    if len(data) > max_bytes:
        return Rejection(f"{code_prefix}.too_large", f"the {what} is over the {max_bytes:,} byte limit")
    return InputBytes(data=data, sha256=hashlib.sha256(data).hexdigest())


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a plain file"
