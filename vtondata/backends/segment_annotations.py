"""Evidence layers from a dataset's own parse maps (VITON-HD image-parse, DressCode label_maps).

The parse maps are per-pixel ground truth: re-processing a dataset with them
gives garment, face, hair and limb layers no segmenter has to guess, and a
mask built from them can be measured against the same maps. A map covers the
original photo (at any resolution of the same aspect ratio); it is resized
with nearest-neighbour sampling (label ids never blend) straight to the
upright photo's resized size in the placement ingest applied, then pasted at
its offset on a background canvas of the stored image's size, and read into
layers by :func:`vtondata.geometry.parsing.parse_layers`.

The layers include ``face`` and ``hair`` (both protected by the mask) and no
``hands``: the label tables have no hand class (arms run to the finger tips),
so the mask keeps drawing hands from the wrists. An image without a parse map
gets a result carrying ``no_annotation``.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from vtondata import __version__
from vtondata.backends.base import ImageSource, PriorEvidence, SegmentResult
from vtondata.config.segment import AnnotationSegmentConfig
from vtondata.geometry.parsing import parse_layers, read_label_map
from vtondata.ingest.decode import Placement
from vtondata.ingest.layouts import annotation_places, find_annotation

MAX_ASPECT_MISMATCH = 0.01
"""Relative difference of width/height above which a parse map is not the photo's."""


class AnnotationSegmentBackend:
    """Reads parse maps; ``predict`` needs one :class:`ImageSource` per image."""

    name = "annotations"
    version = __version__
    weights_sha256: str | None = None

    def __init__(self, config: AnnotationSegmentConfig) -> None:
        self.config = config

    def load(self) -> None:
        """Nothing to load: the parse maps are read per image."""

    def close(self) -> None:
        """Nothing to release."""

    def predict(
        self,
        images_rgb: list[np.ndarray],
        keypoints_px: list[np.ndarray],
        *,
        sources: Sequence[ImageSource] = (),
        evidence: Sequence[PriorEvidence] = (),
    ) -> list[SegmentResult]:
        """``keypoints_px`` is not read: the parse map alone gives the layers."""
        if len(sources) != len(images_rgb):
            raise ValueError(f"{len(images_rgb)} images but {len(sources)} sources: one each is needed")
        return [self._predict_one(image, source) for image, source in zip(images_rgb, sources, strict=True)]

    def _predict_one(self, image_rgb: np.ndarray, source: ImageSource) -> SegmentResult:
        path = find_annotation(source.path, "parse")
        if path is None:
            message = f"no parse map for {source.path} (looked for {annotation_places('parse')})"
            return SegmentResult(layers={}, scores={}, no_annotation=message)
        if source.placement is None:
            raise ValueError(f"{source.path}: no ingest placement to map its parse map with")
        labels = read_label_map(path)
        stored = place_label_map(labels, source.placement, image_rgb.shape[:2])
        return SegmentResult(layers=parse_layers(stored, self.config.scheme), scores={})


def place_label_map(labels: np.ndarray, placement: Placement, shape_hw: tuple[int, int]) -> np.ndarray:
    """``HxW`` label ids of the original photo -> ``shape_hw`` ids of the stored image (0 = background).

    Raises ``ValueError`` when the map's aspect ratio differs from the
    placed photo's by more than ``MAX_ASPECT_MISMATCH``: it belongs to
    another image.
    """
    height, width = labels.shape
    resized_w, resized_h = placement.resized_wh
    mismatch = abs((width / height) / (resized_w / resized_h) - 1.0)
    if mismatch > MAX_ASPECT_MISMATCH:
        raise ValueError(
            f"parse map is {width}x{height} but the photo is placed as {resized_w}x{resized_h}: "
            "aspect ratios differ"
        )
    if (width, height) != (resized_w, resized_h):
        labels = cv2.resize(labels, (resized_w, resized_h), interpolation=cv2.INTER_NEAREST)
    out = np.zeros(shape_hw, dtype=np.uint8)
    x0, y0 = placement.offset_xy
    top, left = max(y0, 0), max(x0, 0)
    bottom, right = min(y0 + resized_h, shape_hw[0]), min(x0 + resized_w, shape_hw[1])
    out[top:bottom, left:right] = labels[top - y0 : bottom - y0, left - x0 : right - x0]
    return out
