"""Image family: resolution and aspect of the original photo (upright, as a viewer shows it),
sharpness and exposure of the person.

Resolution and aspect come from the size ingest recorded before any scaling,
because the stored image always has the target size. Sharpness and exposure
are measured on the person silhouette when there is one (a studio's white
backdrop is flat and bright whatever the photo's quality) and on the photo's
own area otherwise, never on letterbox bars.
"""

from __future__ import annotations

import cv2
import numpy as np

from vtondata.filters import thresholds as th
from vtondata.sample import Rejection, Sample

FAMILY = "image"
MIN_REGION_SHARE = 0.01
"""A silhouette smaller than this share of the photo is not trusted as the region to measure."""


def measure(sample: Sample) -> dict[str, float]:
    """``image.orig_width_px``, ``orig_height_px``, ``orig_aspect``, ``sharpness``, ``brightness``,
    ``contrast`` and ``clipped_fraction`` (see docs/quality.md)."""
    width, height = sample.meta["ingest"]["upright_size_wh"]
    grey = cv2.cvtColor(sample.image_rgb(), cv2.COLOR_RGB2GRAY)
    content = content_region(sample, grey.shape)
    region = content
    person = sample.layers.get("person")
    if person is not None and np.count_nonzero(person & content) >= MIN_REGION_SHARE * np.count_nonzero(
        content
    ):
        region = person & content
    laplacian = cv2.Laplacian(grey, cv2.CV_64F, ksize=3)
    luma = grey[region].astype(np.float64)
    return {
        "image.orig_width_px": float(width),
        "image.orig_height_px": float(height),
        "image.orig_aspect": float(width) / float(height),
        "image.sharpness": float(laplacian[region].var()),
        "image.brightness": float(luma.mean() / 255.0),
        "image.contrast": float(grey[content].std() / 255.0),
        "image.clipped_fraction": float(np.mean((luma <= 2) | (luma >= 253))),
    }


def content_region(sample: Sample, shape_hw: tuple[int, ...]) -> np.ndarray:
    """``HxW`` bool: the stored pixels that come from the photo (letterbox bars excluded)."""
    meta = sample.meta["ingest"]
    width, height = meta["upright_size_wh"]
    scale = float(meta["scale"])
    x0, y0 = (round(v) for v in meta["offset_xy"])
    x1, y1 = x0 + round(width * scale), y0 + round(height * scale)
    region = np.zeros(shape_hw[:2], dtype=bool)
    region[max(y0, 0) : max(y1, 0), max(x0, 0) : max(x1, 0)] = True
    return region


def decide(stats: dict[str, float], thresholds: list[th.Threshold]) -> Rejection | None:
    """The first failing threshold of this family."""
    return th.decide(stats, [t for t in thresholds if t.family == FAMILY])
