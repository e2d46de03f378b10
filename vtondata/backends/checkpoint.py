"""Read a PyTorch checkpoint safely, or fail before any image with a message a user can act on.

``torch.load(weights_only=True)`` refuses pickled code, so a checkpoint can
only carry tensors and plain containers. A truncated or corrupt file (an
interrupted download) raises :class:`WeightsNotFound` naming the file and
how to fetch it again, the same error a missing file gives, so a build stops
at planning time rather than in a worker.
"""

from __future__ import annotations

import functools
import zipfile
from pathlib import Path
from typing import Any

from vtondata.backends.weights import ResolvedWeights, resolve_weights
from vtondata.errors import WeightsNotFound


def load_checkpoint(weights: ResolvedWeights, map_location: str = "cpu", *, mmap: bool = False) -> Any:
    """The object stored in ``weights.path`` (tensors, dicts, lists), loaded with ``weights_only=True``."""
    import torch

    try:
        return torch.load(str(weights.path), map_location=map_location, weights_only=True, mmap=mmap)
    except Exception as error:
        first_line = (str(error).splitlines() or [""])[0]
        raise WeightsNotFound(
            f"weights file {weights.path} is corrupt or truncated and cannot be read "
            f"({type(error).__name__}: {first_line}); delete it and fetch it again "
            f"(`vtondata weights fetch {weights.path.name}` when online)"
        ) from error


def check_readable(weights: ResolvedWeights) -> None:
    """Read the checkpoint once and fail as :func:`load_checkpoint` does; cached per (path, sha256).

    Zip-format checkpoints (every ``torch.save`` since 1.6) are memory-mapped,
    so the check costs little; legacy files are read whole.
    """
    _check_cached(str(weights.path), weights.sha256)


@functools.lru_cache(maxsize=32)
def _check_cached(path: str, sha256: str) -> None:
    load_checkpoint(ResolvedWeights(Path(path), sha256), mmap=zipfile.is_zipfile(path))


def resolve_checkpoint(setting: str, expected_sha256: str | None = None) -> ResolvedWeights:
    """Find a PyTorch checkpoint (file name, path or known hub id) and prove it is readable.

    The resolver's order applies (docs/weights.md), with known files
    downloadable from their source (:mod:`vtondata.backends.download`). A
    missing file's error also says how to fetch it; a wrong hash or an
    unreadable file stops here too, before any image.
    """
    from vtondata.backends.download import KNOWN_WEIGHTS, download, name_for

    name = name_for(setting)
    try:
        resolved = resolve_weights(name, expected_sha256, downloader=download)
    except WeightsNotFound as error:
        if Path(name).name not in KNOWN_WEIGHTS or "not found" not in str(error).split("\n", 1)[0]:
            raise
        raise WeightsNotFound(
            f"{error}\nFetch it with `vtondata weights fetch {Path(name).name}` when online."
        ) from error
    check_readable(resolved)
    return resolved
