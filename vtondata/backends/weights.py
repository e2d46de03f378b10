"""Find a model checkpoint in one documented order, check its hash, or say exactly why not.

Order: the path as given -> ``$VTONDATA_WEIGHTS/<name>`` -> the user cache
(``$XDG_CACHE_HOME`` or ``~/.cache``, then ``vtondata/weights/<name>``) ->
a download into that cache, only when downloads are allowed (none of
``VTONDATA_OFFLINE``, ``HF_HUB_OFFLINE``, ``YOLO_OFFLINE`` is set) and the
file has a known source (Ultralytics release assets, through Ultralytics' own
downloader). Resolving never loads a model, so a build can check every
checkpoint before it touches an image. See docs/weights.md.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from vtondata.errors import WeightsNotFound

OFFLINE_ENV_VARS = ("VTONDATA_OFFLINE", "HF_HUB_OFFLINE", "YOLO_OFFLINE")
OFFLINE_ALTERNATIVE = (
    "`--pipeline offline` (MediaPipe, whose models ship in its wheel), which needs no weights files"
)

Downloader = Callable[[str, Path], Path | None]
"""``(file_name, destination) -> path``, or ``None`` when the file has no known source."""


@dataclass(frozen=True)
class ResolvedWeights:
    """A checkpoint that exists, with the sha256 recorded in the manifest."""

    path: Path
    sha256: str


def resolve_weights(
    name_or_path: str,
    expected_sha256: str | None = None,
    *,
    downloader: Downloader | None = None,
) -> ResolvedWeights:
    """Locate ``name_or_path`` (a file name or a path) and verify ``expected_sha256`` if given.

    Raises :class:`WeightsNotFound` naming the file, every place searched and
    the offline alternative, or naming both hashes on a mismatch. A found file
    with the wrong hash stops the search: a stale copy must be fixed, not
    silently bypassed.
    """
    name = Path(name_or_path).name
    searched: list[str] = []
    for label, candidate in _candidates(name_or_path):
        searched.append(f"{label}: {candidate}" if candidate is not None else label)
        if candidate is not None and candidate.is_file():
            return _verified(candidate, expected_sha256)
    allowed, why_not = downloads_allowed()
    if not allowed:
        searched.append(f"download: disabled ({why_not})")
    else:
        destination = user_cache_dir() / name
        try:
            downloaded = (downloader or download_ultralytics_asset)(name, destination)
        except Exception as error:
            searched.append(f"download into {destination}: failed ({type(error).__name__}: {error})")
        else:
            if downloaded is not None and downloaded.is_file():
                return _verified(downloaded, expected_sha256)
            searched.append(f"download: no known source for '{name}'")
    raise WeightsNotFound(
        f"weights file '{name}' not found. Searched:\n"
        + "\n".join(f"  - {line}" for line in searched)
        + "\nPut the file in one of these places or set VTONDATA_WEIGHTS to its folder; "
        + f"or use {OFFLINE_ALTERNATIVE}."
    )


def downloads_allowed() -> tuple[bool, str]:
    """Whether the resolver may download, and if not, which variable forbids it."""
    for var in OFFLINE_ENV_VARS:
        value = os.environ.get(var, "").strip().lower()
        if value not in ("", "0", "false", "no", "off"):
            return False, f"{var}={os.environ[var]}"
    return True, ""


def user_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/vtondata/weights``, or ``~/.cache/vtondata/weights``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "vtondata" / "weights"


def file_sha256(path: Path) -> str:
    """sha256 of a file, computed once per (path, mtime, size)."""
    stat = path.stat()
    return _sha256_cached(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


def download_ultralytics_asset(name: str, destination: Path) -> Path | None:
    """Fetch an official Ultralytics release asset (``yolo11n-pose.pt``, ...) to ``destination``."""
    from ultralytics.utils.downloads import GITHUB_ASSETS_NAMES, attempt_download_asset

    if name not in GITHUB_ASSETS_NAMES:
        return None
    destination.parent.mkdir(parents=True, exist_ok=True)
    return Path(attempt_download_asset(destination))


def _candidates(name_or_path: str) -> list[tuple[str, Path | None]]:
    name = Path(name_or_path).name
    env_dir = os.environ.get("VTONDATA_WEIGHTS")
    return [
        ("as given", Path(name_or_path).expanduser().absolute()),
        ("$VTONDATA_WEIGHTS" + ("" if env_dir else " (not set)"), Path(env_dir) / name if env_dir else None),
        ("user cache", user_cache_dir() / name),
    ]


def _verified(path: Path, expected_sha256: str | None) -> ResolvedWeights:
    actual = file_sha256(path)
    if expected_sha256 is not None and actual != expected_sha256.lower():
        raise WeightsNotFound(
            f"weights file {path} has sha256 {actual}, but the recipe expects {expected_sha256}; "
            "replace the file with the expected release, "
            "or update the recipe's sha256 if the change is intended"
        )
    return ResolvedWeights(path=path.resolve(), sha256=actual)


@functools.lru_cache(maxsize=64)
def _sha256_cached(path: str, mtime_ns: int, size: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
