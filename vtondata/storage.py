"""Where inputs and outputs live: a local folder or object storage (``s3://``, ``gs://``, ...).

Every location that is not a plain path goes through `fsspec`_, so any file
system it knows works once its package is installed (``s3fs`` for ``s3://``,
``gcsfs`` for ``gs://``). Credentials come from where those packages look
(environment variables such as ``AWS_ACCESS_KEY_ID`` / ``AWS_ENDPOINT_URL``,
``~/.aws``, ``GOOGLE_APPLICATION_CREDENTIALS``); ``--storage-options`` adds
keyword arguments for the file system (an endpoint, a profile, anonymous
access). The options travel in the environment variable
``VTONDATA_STORAGE_OPTIONS`` so that every worker process, on this machine or
on a cluster (the Ray runner forwards it), opens the same storage the driver
planned on.

.. _fsspec: https://filesystem-spec.readthedocs.io
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vtondata.errors import InputError

STORAGE_OPTIONS_ENV = "VTONDATA_STORAGE_OPTIONS"
_SCHEME = re.compile(r"^(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*)://")


def is_url(location: str | Path) -> bool:
    """Whether ``location`` names object storage (``s3://...``), not a local path (``file://`` is local)."""
    if isinstance(location, Path):
        return False
    match = _SCHEME.match(location)
    return match is not None and match["scheme"].lower() != "file"


def parse_storage_options(text: str | None) -> dict[str, Any]:
    """The ``--storage-options`` JSON object as a dict; :class:`InputError` when it is not one."""
    if not text:
        return {}
    try:
        options = json.loads(text)
    except ValueError as error:
        raise InputError(f"--storage-options is not valid JSON: {error}") from error
    if not isinstance(options, dict):
        raise InputError('--storage-options must be a JSON object, e.g. {"endpoint_url": "http://..."}')
    return options


def use_storage_options(options: dict[str, Any]) -> None:
    """Make ``options`` the file-system options of this process and of the workers it starts."""
    if options:
        os.environ[STORAGE_OPTIONS_ENV] = json.dumps(options, sort_keys=True)
    else:
        os.environ.pop(STORAGE_OPTIONS_ENV, None)


def storage_options() -> dict[str, Any]:
    """The options set by :func:`use_storage_options` (here or in the process that started this one)."""
    return parse_storage_options(os.environ.get(STORAGE_OPTIONS_ENV))


@dataclass(frozen=True)
class Location:
    """A folder on some file system: ``fs`` (an fsspec file system) and ``root`` (its path there)."""

    fs: Any
    root: str
    url: str

    def path(self, relative: str) -> str:
        """The file system path of ``relative`` (POSIX separators) under the root."""
        return f"{self.root}/{relative}" if relative else self.root

    def url_of(self, relative: str) -> str:
        return f"{self.url}/{relative}"


def locate(url: str) -> Location:
    """Open the file system of ``url`` with the current storage options.

    Raises :class:`InputError` when no installed package handles the scheme.
    """
    import fsspec

    url = url.rstrip("/")
    try:
        fs, root = fsspec.core.url_to_fs(url, **storage_options())
    except (ImportError, ValueError) as error:
        raise InputError(
            f"cannot open {url}: {error} (install the file system's package, e.g. s3fs)"
        ) from error
    return Location(fs=fs, root=root.rstrip("/"), url=url)


def read_url(url: str, max_bytes: int) -> bytes:
    """At most ``max_bytes + 1`` bytes of the object at ``url`` (the caller tells "too large" apart)."""
    location = locate(url)
    with location.fs.open(location.root, "rb") as stream:
        return stream.read(max_bytes + 1)
