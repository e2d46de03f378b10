"""Pose agreement: how far a second, independent pose model puts the category's joints from the first.

Two networks trained apart (MediaPipe's BlazePose and YOLO11-pose) rarely make
the same mistake, so where they disagree on a joint the mask is drawn from,
at least one is wrong: the distance measures the accuracy of the pose itself,
not the look of the photo. It is in units of the first model's shoulder
width, so it means the same for a small and a large person. Only joints that
both models see (above the visible confidence) and that lie inside the photo
count; of the second model's people, the one closest to the first model's
person is compared. When the second model finds nobody, or shares no joint
with the first, the distance is ``NO_AGREEMENT``.
"""

from __future__ import annotations

import numpy as np

from vtondata.geometry.agnostic import required_joints
from vtondata.geometry.keypoints import J
from vtondata.sample import Category

NO_AGREEMENT = 10.0
"""The distance recorded when the two models share no joint (shoulder widths): far beyond any threshold."""


def agreement_distance(
    primary_px: np.ndarray,
    others_coco17_px: np.ndarray,
    category: Category | str,
    visible_confidence: float,
    size_wh: tuple[int, int],
) -> float:
    """Largest distance, in shoulder widths, between the two models' estimates of the category's joints.

    ``primary_px`` is the canonical ``(19, 3)`` pose of the sample;
    ``others_coco17_px`` the second model's ``(N, 17, 3)`` COCO-17 people,
    both ``(x_px, y_px, confidence)`` in pixels of the stored image.
    """
    primary = np.asarray(primary_px, dtype=np.float64)
    shoulders = primary[[J["left_shoulder"], J["right_shoulder"]], :2]
    scale = float(np.linalg.norm(shoulders[0] - shoulders[1]))
    rows = [J[name] for name in required_joints(category)]
    width, height = size_wh
    ours = primary[rows]
    inside = (ours[:, 0] >= 0) & (ours[:, 0] < width) & (ours[:, 1] >= 0) & (ours[:, 1] < height)
    ours_seen = inside & (ours[:, 2] > visible_confidence)
    best = NO_AGREEMENT
    if scale <= 0:
        return best
    for person in np.asarray(others_coco17_px, dtype=np.float64).reshape(-1, 17, 3):
        theirs = person[rows]
        shared = ours_seen & (theirs[:, 2] > visible_confidence)
        if not shared.any():
            continue
        distances = np.linalg.norm(ours[shared, :2] - theirs[shared, :2], axis=1) / scale
        best = min(best, float(distances.max()))
    return min(best, NO_AGREEMENT)
