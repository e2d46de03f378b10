"""The feet layer: ankle, heel and toe landmarks, hulled and grown by a share of the body scale.

The pose's foot landmarks (heel and the tip of the foot) place each foot
where a box along the shin cannot: feet turn out, point at the camera, or
stand on tiptoe in heels. The hull starts part of the way from the ankle
joint towards the sole, so trouser and skirt hems above the shoe stay in the
mask.
"""

from __future__ import annotations

import numpy as np

from vtondata.geometry.evidence.pose33 import P, visible
from vtondata.geometry.regions import disc_hull, fill_polygons

_FEET = (
    ("left_ankle", "left_heel", "left_foot_index"),
    ("right_ankle", "right_heel", "right_foot_index"),
)


def feet_layer(
    shape_hw: tuple[int, int],
    pose33_px: np.ndarray,
    scale_px: float,
    *,
    margin_rel: float,
    ankle_drop: float,
    min_visibility: float,
) -> np.ndarray:
    """``HxW`` bool: per seen foot, the hull of (ankle, heel, toe) grown by ``margin_rel`` x ``scale_px``.

    The ankle point is moved ``ankle_drop`` (0..1) of the way from the ankle
    joint towards the middle of heel and toe. A foot counts as seen when its
    heel and toe have at least ``min_visibility``.
    """
    polygons = []
    for ankle, heel, toe in seen_feet(pose33_px, min_visibility):
        heel_xy, toe_xy = pose33_px[P[heel], :2].astype(np.float64), pose33_px[P[toe], :2].astype(np.float64)
        ankle_xy = pose33_px[P[ankle], :2].astype(np.float64)
        ankle_low = ankle_xy + ((heel_xy + toe_xy) / 2 - ankle_xy) * ankle_drop
        polygons.append(disc_hull(np.array([ankle_low, heel_xy, toe_xy]), margin_rel * scale_px))
    return fill_polygons(shape_hw, polygons)


def seen_feet(pose33_px: np.ndarray, min_visibility: float) -> list[tuple[str, str, str]]:
    """The (ankle, heel, toe) names of each foot whose heel and toe are seen."""
    return [
        names
        for names in _FEET
        if visible(pose33_px, P[names[1]], min_visibility) and visible(pose33_px, P[names[2]], min_visibility)
    ]
