"""Draw canonical keypoints as an OpenPose-style skeleton image (``pose.png``).

Pose-conditioned try-on models were trained on OpenPose renders (VITON-HD's
``openpose-img``): BODY_25 limbs as tapered ellipses in OpenPose's colours on
black. This reproduces that look from canonical keypoints, so a rendered
skeleton from any pose backend reads like the ones those models saw. The six
foot joints are not in the canonical layout and are never drawn.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from vtondata.geometry.keypoints import to_body25

BODY25_LIMBS: tuple[tuple[int, int], ...] = (
    (1, 8), (1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (8, 9), (9, 10), (10, 11),
    (8, 12), (12, 13), (13, 14), (1, 0), (0, 15), (15, 17), (0, 16), (16, 18),
    (14, 19), (19, 20), (14, 21), (11, 22), (22, 23), (11, 24),
)  # fmt: skip
"""OpenPose's BODY_25 render pairs (joint rows); a limb takes its second joint's colour."""

BODY25_COLORS_RGB: tuple[tuple[int, int, int], ...] = (
    (255, 0, 85), (255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0),
    (170, 255, 0), (85, 255, 0), (0, 255, 0), (255, 0, 0), (0, 255, 85),
    (0, 255, 170), (0, 255, 255), (0, 170, 255), (0, 85, 255), (0, 0, 255),
    (255, 0, 170), (170, 0, 255), (255, 0, 255), (85, 0, 255), (0, 0, 255),
    (0, 0, 255), (0, 0, 255), (0, 255, 255), (0, 255, 255), (0, 255, 255),
)  # fmt: skip
"""OpenPose's per-joint BODY_25 colours, RGB."""

RENDER_INTENSITY = 0.6
"""Limbs and joints are drawn at 60 % of their colour, as OpenPose blends its render over the frame."""


def render_skeleton(
    canonical: np.ndarray, width_px: int, height_px: int, min_confidence: float = 0.1
) -> np.ndarray:
    """``HxWx3`` uint8 RGB skeleton of canonical ``(19, 3)`` keypoints on black.

    Joints with confidence below ``min_confidence`` and limbs touching them
    are left out. Line width and joint radius scale with the image's long
    side (5 px at 1024). The output depends only on the inputs.
    """
    body25 = to_body25(canonical)
    canvas = np.zeros((height_px, width_px, 3), dtype=np.uint8)
    half_width = max(1, round(0.005 * max(width_px, height_px)))
    visible = body25[:, 2] >= min_confidence
    for start, end in BODY25_LIMBS:
        if visible[start] and visible[end]:
            _draw_limb(canvas, body25[start, :2], body25[end, :2], half_width, _dimmed(end))
    for joint in np.flatnonzero(visible):
        center = (round(float(body25[joint, 0])), round(float(body25[joint, 1])))
        cv2.circle(canvas, center, half_width + 1, _dimmed(joint), thickness=-1)
    return canvas


def _dimmed(joint: int | np.integer) -> tuple[int, int, int]:
    red, green, blue = BODY25_COLORS_RGB[joint]
    return int(RENDER_INTENSITY * red), int(RENDER_INTENSITY * green), int(RENDER_INTENSITY * blue)


def _draw_limb(
    canvas: np.ndarray, start: np.ndarray, end: np.ndarray, half_width: int, color: tuple[int, ...]
) -> None:
    dx, dy = float(end[0] - start[0]), float(end[1] - start[1])
    center = (round(float(start[0] + end[0]) / 2), round(float(start[1] + end[1]) / 2))
    half_length = max(1, round(math.hypot(dx, dy) / 2))
    angle = round(math.degrees(math.atan2(dy, dx)))
    polygon = cv2.ellipse2Poly(center, (half_length, half_width), angle, 0, 360, 1)
    cv2.fillConvexPoly(canvas, np.asarray(polygon, dtype=np.int32), color)
