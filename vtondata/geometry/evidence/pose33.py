"""MediaPipe's 33 pose landmarks by name, and what counts as seen.

The canonical keypoints keep the COCO-17 subset; the evidence layers also
need the mouth, heels and toes, which only the full 33-point set has.
"""

from __future__ import annotations

import numpy as np

POSE33_NAMES: tuple[str, ...] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_pinky", "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_heel", "right_heel", "left_foot_index", "right_foot_index",
)  # fmt: skip
P = {name: index for index, name in enumerate(POSE33_NAMES)}
"""Landmark name -> row in MediaPipe's 33-point array."""

FACE_POINTS: tuple[int, ...] = tuple(range(0, 11))
"""Nose, eyes, ears and mouth corners."""


def visible(points_px: np.ndarray, index: int, min_visibility: float) -> bool:
    """True when landmark ``index`` is seen with at least ``min_visibility``."""
    return bool(points_px[index, 2] >= min_visibility)
