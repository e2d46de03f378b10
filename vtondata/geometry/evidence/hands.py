"""The hands layer: the hull of each hand's 21 landmarks, grown by a share of the hand's size.

Hand landmarks sit on the joints' centre lines, from the wrist to the finger
tips, so their hull runs half a finger's width inside the hand's edge; the
margin is relative to the hand's own size (wrist to the middle finger's
knuckle), which keeps it right whatever the photo's scale. The wrist
landmark is the hand's own, placed on the wrist crease, so the layer starts
where the hand does and not at the pose model's wrist joint (MediaPipe pose
puts it higher, on the forearm).

The margin grows the hull away from the wrist and to the sides, never back
up the forearm: the layer is cut at the line through the wrist landmark
across the hand. A margin there would keep a band of whatever meets the hand
(bare skin under a short sleeve, a cuff under a long one) out of the mask,
and that band alone tells the sleeve.
"""

from __future__ import annotations

import numpy as np

from vtondata.geometry.regions import disc_hull, fill_polygons

WRIST, MIDDLE_MCP = 0, 9
"""Hand landmark rows: the wrist and the middle finger's knuckle."""


def hand_size_px(hand_px: np.ndarray) -> float:
    """Wrist to middle knuckle, in pixels: the hand's own length unit."""
    return float(np.linalg.norm(hand_px[MIDDLE_MCP, :2] - hand_px[WRIST, :2]))


def hands_layer(shape_hw: tuple[int, int], hands_px: list[np.ndarray], margin_rel: float) -> np.ndarray:
    """``HxW`` bool: each ``(21, 3)`` hand's landmark hull grown by ``margin_rel`` x its hand size,
    from the wrist landmark on."""
    polygons = []
    for hand in hands_px:
        grown = disc_hull(hand, margin_rel * hand_size_px(hand))
        along = hand[MIDDLE_MCP, :2] - hand[WRIST, :2]
        polygons.append(grown if not along.any() else clip_behind(grown, hand[WRIST, :2], along))
    return fill_polygons(shape_hw, [polygon for polygon in polygons if len(polygon) >= 3])


def clip_behind(polygon: np.ndarray, point: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """The convex ``polygon`` (``Nx2``) without the part behind the line through ``point`` across
    ``direction``: what remains has ``(p - point) . direction >= 0``."""
    side = (polygon - point) @ direction
    kept: list[np.ndarray] = []
    for index in range(len(polygon)):
        start, end = polygon[index], polygon[(index + 1) % len(polygon)]
        start_side, end_side = side[index], side[(index + 1) % len(polygon)]
        if start_side >= 0:
            kept.append(start)
        if (start_side >= 0) != (end_side >= 0):
            kept.append(start + (end - start) * (start_side / (start_side - end_side)))
    return np.array(kept, dtype=np.float64).reshape(-1, 2)
