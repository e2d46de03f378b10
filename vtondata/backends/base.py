"""What a backend promises its stage: typed results and a two-method protocol.

Backends wrap a model library and hide its quirks (BGR input, tensors on a
device, normalised coordinates). They return frozen dataclasses with units in
the field names, never the library's own result objects, so stages and tests
do not depend on Ultralytics or MediaPipe.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from vtondata.errors import BackendUnavailable


@dataclass(frozen=True)
class PoseResult:
    """Every person a pose model found in one image.

    ``keypoints_px`` is ``(N, 17, 3)`` float32 COCO-17 rows ``(x_px, y_px,
    confidence)`` in pixels of the input image; ``boxes_xyxy`` is ``(N, 4)``
    float32 ``(x0, y0, x1, y1)`` in pixels; ``scores`` is ``(N,)`` float32
    person scores in [0, 1]. ``silhouette`` is an ``HxW`` bool person mask
    when the model makes one (MediaPipe), else ``None``. ``N = 0`` means no
    person.
    """

    keypoints_px: np.ndarray
    boxes_xyxy: np.ndarray
    scores: np.ndarray
    silhouette: np.ndarray | None = None

    @property
    def num_people(self) -> int:
        return int(self.scores.shape[0])

    @classmethod
    def empty(cls, silhouette: np.ndarray | None = None) -> PoseResult:
        """The result for an image without any person."""
        return cls(
            keypoints_px=np.zeros((0, 17, 3), dtype=np.float32),
            boxes_xyxy=np.zeros((0, 4), dtype=np.float32),
            scores=np.zeros((0,), dtype=np.float32),
            silhouette=silhouette,
        )


@dataclass(frozen=True)
class SegmentResult:
    """Evidence layers for one image.

    ``layers`` maps a layer name (``"person"``, ``"garment_upper"``, ...) to an
    ``HxW`` bool mask of the input image; ``scores`` holds the backend's
    confidence numbers by name (``"person_mean_prob"``), each a float.
    """

    layers: dict[str, np.ndarray]
    scores: dict[str, float]


@runtime_checkable
class PoseBackend(Protocol):
    """A pose model: ``load()`` once per worker, then ``predict`` batches of RGB images.

    ``version`` is the model library's package version and ``weights_sha256``
    the checkpoint's hash (``None`` when there is no single file); both go
    into each sample's ``meta`` so a dataset records what produced it.
    """

    name: str
    version: str
    weights_sha256: str | None

    def load(self) -> None:
        """Load the model; calling it again is a no-op."""
        ...

    def predict(self, images_rgb: list[np.ndarray]) -> list[PoseResult]:
        """One result per ``HxWx3`` uint8 RGB image, in order."""
        ...


@runtime_checkable
class SegmentBackend(Protocol):
    """A segmentation model; prompt-based ones read the pose keypoints.

    ``keypoints_px`` holds one canonical ``(19, 3)`` float32 array per image
    (all zeros when the image has no pose).
    """

    name: str
    version: str
    weights_sha256: str | None

    def load(self) -> None:
        """Load the model; calling it again is a no-op."""
        ...

    def predict(self, images_rgb: list[np.ndarray], keypoints_px: list[np.ndarray]) -> list[SegmentResult]:
        """One result per ``HxWx3`` uint8 RGB image, in order."""
        ...


def check_requires(backend: str, requires: tuple[str, ...]) -> None:
    """Fail with the pip line when a backend's packages are missing, without importing them.

    ``requires`` holds pip requirement strings (``"mediapipe==0.10.14"``);
    the import name is the part before any version specifier.
    """
    missing = [spec for spec in requires if importlib.util.find_spec(_import_name(spec)) is None]
    if missing:
        line = "pip install " + " ".join(f"'{spec}'" for spec in missing)
        raise BackendUnavailable(
            f"the {backend} backend needs {', '.join(_import_name(s) for s in missing)}, "
            f"which is not installed; install it with: {line}"
        )


def _import_name(spec: str) -> str:
    return re.split(r"[<>=!~\[ ;]", spec, maxsplit=1)[0]
