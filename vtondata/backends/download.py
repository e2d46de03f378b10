"""Where each known checkpoint comes from, and how to fetch it into the user cache.

One table, :data:`KNOWN_WEIGHTS`, names every checkpoint a bundled recipe can
use, the Hugging Face repository (or Ultralytics release) that serves it and
what it is for. ``vtondata weights list|check|fetch`` and the resolver's
download step read it; SAM2 hub ids (``facebook/sam2.1-hiera-tiny``) map to
their file names here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vtondata.backends.weights import (
    ResolvedWeights,
    download_ultralytics_asset,
    downloads_allowed,
    resolve_weights,
)
from vtondata.errors import WeightsNotFound


@dataclass(frozen=True)
class KnownWeights:
    """A checkpoint with a known source: ``hf_repo`` + ``hf_filename``, or an Ultralytics asset."""

    name: str
    purpose: str
    hf_repo: str | None = None
    hf_filename: str | None = None
    model_config_name: str | None = None


KNOWN_WEIGHTS: dict[str, KnownWeights] = {
    known.name: known
    for known in (
        KnownWeights("yolo11n-pose.pt", "pose: Ultralytics YOLO11n-pose (Ultralytics release asset)"),
        KnownWeights(
            "sam2.1_hiera_tiny.pt", "segment: SAM2.1 hiera tiny (38.9 M parameters)",
            "facebook/sam2.1-hiera-tiny", "sam2.1_hiera_tiny.pt", "configs/sam2.1/sam2.1_hiera_t.yaml",
        ),
        KnownWeights(
            "sam2.1_hiera_small.pt", "segment: SAM2.1 hiera small (46 M parameters)",
            "facebook/sam2.1-hiera-small", "sam2.1_hiera_small.pt", "configs/sam2.1/sam2.1_hiera_s.yaml",
        ),
        KnownWeights(
            "sam2.1_hiera_base_plus.pt", "segment: SAM2.1 hiera base+ (80.8 M parameters)",
            "facebook/sam2.1-hiera-base-plus", "sam2.1_hiera_base_plus.pt",
            "configs/sam2.1/sam2.1_hiera_b+.yaml",
        ),
        KnownWeights(
            "sam2.1_hiera_large.pt", "segment: SAM2.1 hiera large (224.4 M parameters)",
            "facebook/sam2.1-hiera-large", "sam2.1_hiera_large.pt", "configs/sam2.1/sam2.1_hiera_l.yaml",
        ),
        KnownWeights(
            "body_pose_model.pth", "pose: OpenPose body (COCO-18), as controlnet-aux loads it",
            "lllyasviel/Annotators", "body_pose_model.pth",
        ),
    )
}  # fmt: skip
"""Checkpoints by file name."""


def name_for(checkpoint: str) -> str:
    """A recipe's checkpoint setting -> the file name the resolver looks for.

    A Hugging Face hub id of a known checkpoint (``facebook/sam2.1-hiera-tiny``)
    becomes its file name; file names and paths pass through unchanged.
    """
    for known in KNOWN_WEIGHTS.values():
        if known.hf_repo is not None and checkpoint == known.hf_repo:
            return known.name
    return checkpoint


def download(name: str, destination: Path) -> Path | None:
    """The resolver's downloader for every known file; ``None`` when ``name`` has no known source."""
    known = KNOWN_WEIGHTS.get(name)
    if known is None:
        return None
    if known.hf_repo is None or known.hf_filename is None:
        return download_ultralytics_asset(name, destination)
    from huggingface_hub import hf_hub_download

    destination.parent.mkdir(parents=True, exist_ok=True)
    fetched = hf_hub_download(known.hf_repo, known.hf_filename, local_dir=destination.parent)
    fetched_path = Path(fetched)
    if fetched_path != destination:
        fetched_path.replace(destination)
    return destination


def find_local(name: str) -> ResolvedWeights | None:
    """The checkpoint where the resolver would find it without downloading, or ``None``."""
    try:
        return resolve_weights(name, downloader=lambda _name, _destination: None)
    except WeightsNotFound:
        return None


def fetch(name: str) -> ResolvedWeights:
    """Download a known checkpoint into the user cache (or find it already there).

    Hugging Face checkpoints are also read once (``weights_only=True``) to
    prove the download is complete.

    Raises :class:`WeightsNotFound` for an unknown name or when downloads are
    disabled (``HF_HUB_OFFLINE``, ``YOLO_OFFLINE``, ``VTONDATA_OFFLINE``).
    """
    if name not in KNOWN_WEIGHTS:
        raise WeightsNotFound(f"no known source for '{name}'; known: {', '.join(KNOWN_WEIGHTS)}")
    allowed, why_not = downloads_allowed()
    if not allowed and find_local(name) is None:
        raise WeightsNotFound(f"cannot fetch '{name}': downloads are disabled ({why_not})")
    if KNOWN_WEIGHTS[name].hf_repo is None:
        return resolve_weights(name)
    from vtondata.backends.checkpoint import resolve_checkpoint

    return resolve_checkpoint(name)
