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

import cv2
import numpy as np

from vtondata.geometry.regions import disc_hull, fill_holes, fill_polygons

WRIST, MIDDLE_MCP = 0, 9
"""Hand landmark rows: the wrist and the middle finger's knuckle."""
MIN_SKIN_SHARE = 0.3
"""A hand region with less skin than this share is kept whole by :func:`hands_on_skin`."""


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


def hands_on_skin(
    hands: np.ndarray, hands_px: list[np.ndarray], skin: np.ndarray, reach_rel: float, margin_rel: float
) -> np.ndarray:
    """``hands`` (drawn with ``margin_rel``) cut to the pixels within ``reach_rel`` x the hand size
    of skin, holes filled.

    The landmark hull with its margin spans the cloth between and around the
    fingers, and for a hand in a pocket or on a skirt the cloth the fingers
    hide in; kept out of the mask, that cloth is garment left showing. The
    landmarks say where a hand is, the skin layer which of those pixels are
    hand. Holes are filled, so a finger the skin model misses in shadow stays
    hand, and a region holding less than :data:`MIN_SKIN_SHARE` skin (a glove,
    a hand the skin model missed) is kept whole.
    """
    if not hands.any() or not skin.any():
        return hands
    kept = hands.copy()
    height, width = hands.shape
    for hand in hands_px:
        size = hand_size_px(hand)
        reach = max(1, round(reach_rel * size))
        # The hand's box: its landmarks grown by the hull's margin and the reach (skin just outside
        # the hull still reaches into it).
        pad = int(np.ceil(margin_rel * size)) + reach + 1
        (x0, y0), (x1, y1) = np.floor(hand[:, :2].min(axis=0)) - pad, np.ceil(hand[:, :2].max(axis=0)) + pad
        x0, y0, x1, y1 = max(int(x0), 0), max(int(y0), 0), min(int(x1), width), min(int(y1), height)
        if x1 <= x0 or y1 <= y0:
            continue
        region, skin_box = hands[y0:y1, x0:x1], skin[y0:y1, x0:x1]
        if np.count_nonzero(region & skin_box) < MIN_SKIN_SHARE * np.count_nonzero(region):
            continue
        near_skin = cv2.distanceTransform((~skin_box).view(np.uint8), cv2.DIST_L2, 3) <= reach
        on_skin = fill_holes(region & near_skin)
        kept[y0:y1, x0:x1] &= ~region | on_skin
    return kept
