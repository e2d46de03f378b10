"""The hands layer: the hull of each hand's 21 landmarks, grown by a share of the hand's size.

Hand landmarks sit on the joints' centre lines, from the wrist to the finger
tips, so their hull runs half a finger's width inside the hand's edge; the
margin is relative to the hand's own size (wrist to the middle finger's
knuckle), which keeps it right whatever the photo's scale. The wrist
landmark is the hand's own, placed on the wrist crease, so the layer starts
where the hand does and not at the pose model's wrist joint (MediaPipe pose
puts it higher, on the forearm).
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
    """``HxW`` bool: each ``(21, 3)`` hand's landmark hull grown by ``margin_rel`` x its hand size."""
    polygons = [disc_hull(hand, margin_rel * hand_size_px(hand)) for hand in hands_px]
    return fill_polygons(shape_hw, polygons)
