"""Mask family: area band, face intrusion, garment and person coverage of the agnostic mask.

The numbers are :func:`vtondata.geometry.agnostic.mask_stats`, recomputed from
the sample's current mask so that the filter judges the mask that will be
written (and a test can judge a mask moved off the body). Ratios over a layer
the segmenter did not produce (face, garment) are absent, so their thresholds
do not apply.
"""

from __future__ import annotations

from vtondata.filters import thresholds as th
from vtondata.geometry.agnostic import mask_stats
from vtondata.sample import Rejection, Sample

FAMILY = "mask"


def measure(sample: Sample) -> dict[str, float]:
    """``mask.area_ratio``, ``face_intrusion``, ``garment_coverage``, ``person_coverage``, ...

    Empty when the sample has no mask (rejected before the mask stage).
    """
    if sample.agnostic_mask is None or sample.keypoints_px is None:
        return {}
    return mask_stats(sample.agnostic_mask, sample.layers, sample.keypoints_px, sample.category)


def decide(stats: dict[str, float], thresholds: list[th.Threshold]) -> Rejection | None:
    """The first failing threshold of this family."""
    return th.decide(stats, [t for t in thresholds if t.family == FAMILY])
