"""The hands layer: the hull of each hand's 21 landmarks, grown by a share of the hand's size.

Hand landmarks sit on the joints' centre lines, from the wrist to the finger
tips, so their hull runs half a finger's width inside the hand's edge; the
margin is relative to the hand's own size (wrist to the middle finger's
knuckle), which keeps it right whatever the photo's scale. The wrist
landmark is the hand's own, placed on the wrist crease, so the layer starts
where the hand does and not at the pose model's wrist joint (MediaPipe pose
puts it higher, on the forearm).

No landmark marks the wrist's sides: the hull of the 21 points narrows to the
wrist landmark, and the heel of the hand beside it (the little finger's side
most) is left out. Two points either side of the wrist landmark, across the
hand, give the hull the wrist's width, a share of the palm's own width (index
to little finger knuckle); what they add joins where it is skin, since a
cuff may meet the hand there.

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

WRIST, INDEX_MCP, MIDDLE_MCP, PINKY_MCP = 0, 5, 9, 17
"""Hand landmark rows: the wrist and the index, middle and little fingers' knuckles."""
HAND_BONES = (
    (0, 1, 2, 3, 4),
    (0, 5, 6, 7, 8),
    (9, 10, 11, 12),
    (13, 14, 15, 16),
    (0, 17, 18, 19, 20),
    (5, 9, 13, 17),
)
"""Chains of hand landmarks along the thumb, each finger and the knuckles: lines inside the hand."""
BONE_WIDTH_REL = 0.08
"""Width of the bones drawn as the graph cut's sure hand, / the hand's wrist-to-knuckle length."""
GRAPH_CUT_HAND_CELLS = 24.0
"""The graph cut runs on a grid where the hand's wrist-to-knuckle length spans this many cells
(full resolution when it spans fewer pixels): 2-4 ms a hand instead of about 28 ms."""
GRAPH_CUT_ITERATIONS = 2
"""GrabCut's iterations (colour model fit, then cut)."""
GRAPH_CUT_SEED = 0
"""GrabCut starts its colour models from k-means, which draws from OpenCV's random generator of the
calling thread; seeding it before each cut makes the hand the same in every run, thread and runner."""
MIN_SKIN_SHARE = 0.3
"""A hand region with less skin than this share is kept whole by :func:`hands_on_skin`."""


def hand_size_px(hand_px: np.ndarray) -> float:
    """Wrist to middle knuckle, in pixels: the hand's own length unit."""
    return float(np.linalg.norm(hand_px[MIDDLE_MCP, :2] - hand_px[WRIST, :2]))


def hands_layer(
    shape_hw: tuple[int, int],
    hands_px: list[np.ndarray],
    margin_rel: float,
    wrist_half_width_rel: float = 0.0,
    skin: np.ndarray | None = None,
) -> np.ndarray:
    """``HxW`` bool: each ``(21, 3)`` hand's landmark hull grown by ``margin_rel`` x its hand size,
    from the wrist landmark on, and what the wrist's sides (``wrist_half_width_rel`` x the palm's
    width either side of the wrist landmark) add to it where that is ``skin`` (all of it without
    ``skin``): beside the wrist a cuff may meet the hand, and a cuff kept out of the mask tells
    the sleeve."""
    layer = _grown_hulls(shape_hw, hands_px, margin_rel, 0.0)
    if wrist_half_width_rel > 0:
        wide = _grown_hulls(shape_hw, hands_px, margin_rel, wrist_half_width_rel)
        layer |= wide if skin is None else wide & skin
    return layer


def _grown_hulls(
    shape_hw: tuple[int, int], hands_px: list[np.ndarray], margin_rel: float, wrist_half_width_rel: float
) -> np.ndarray:
    polygons = []
    for hand in hands_px:
        along = hand[MIDDLE_MCP, :2] - hand[WRIST, :2]
        grown = disc_hull(outline_points(hand, wrist_half_width_rel), margin_rel * hand_size_px(hand))
        polygons.append(grown if not along.any() else clip_behind(grown, hand[WRIST, :2], along))
    return fill_polygons(shape_hw, [polygon for polygon in polygons if len(polygon) >= 3])


def outline_points(hand_px: np.ndarray, wrist_half_width_rel: float) -> np.ndarray:
    """``(N, 2)``: the hand's landmarks and, unless ``wrist_half_width_rel`` is 0 or the hand has no
    length, the two points that many palm widths (index to little finger knuckle) either side of
    the wrist landmark, on the line across the hand (perpendicular to wrist -> middle knuckle)."""
    points = np.asarray(hand_px, dtype=np.float64)[:, :2]
    along = points[MIDDLE_MCP] - points[WRIST]
    if wrist_half_width_rel <= 0 or not along.any():
        return points
    across = np.array([-along[1], along[0]]) / np.linalg.norm(along)
    half_width = wrist_half_width_rel * float(np.linalg.norm(points[INDEX_MCP] - points[PINKY_MCP]))
    sides = np.stack([points[WRIST] + half_width * across, points[WRIST] - half_width * across])
    return np.concatenate([points, sides])


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
    hands: np.ndarray,
    hands_px: list[np.ndarray],
    skin: np.ndarray,
    reach_rel: float,
    margin_rel: float,
    wrist_half_width_rel: float = 0.0,
    image_rgb: np.ndarray | None = None,
) -> np.ndarray:
    """``hands`` (drawn with ``margin_rel`` and ``wrist_half_width_rel``) cut to the pixels within
    ``reach_rel`` x the hand size of skin or, given ``image_rgb``, that a graph cut of the hand's
    box calls hand (:func:`graph_cut_hand`), holes filled.

    The landmark hull with its margin spans the cloth between and around the
    fingers, and for a hand in a pocket or on a skirt the cloth the fingers
    hide in; kept out of the mask, that cloth is garment left showing. The
    landmarks say where a hand is, the skin layer which of those pixels are
    hand. Holes are filled, so a finger the skin model misses in shadow stays
    hand, and a region holding less than :data:`MIN_SKIN_SHARE` skin (a glove,
    a hand the skin model missed) is kept whole. A reach wide enough for the
    edges of shaded fingers also keeps a ring of the cloth the hand touches;
    the graph cut finds those edges by colour instead, so the reach can stay
    short.
    """
    if not hands.any() or not skin.any():
        return hands
    kept = hands.copy()
    height, width = hands.shape
    for hand in hands_px:
        size = hand_size_px(hand)
        reach = max(1, round(reach_rel * size))
        # The hand's box: its outline points grown by the hull's margin and the reach (skin just outside
        # the hull still reaches into it).
        pad = int(np.ceil(margin_rel * size)) + reach + 1
        points = outline_points(hand, wrist_half_width_rel)
        (x0, y0), (x1, y1) = np.floor(points.min(axis=0)) - pad, np.ceil(points.max(axis=0)) + pad
        x0, y0, x1, y1 = max(int(x0), 0), max(int(y0), 0), min(int(x1), width), min(int(y1), height)
        if x1 <= x0 or y1 <= y0:
            continue
        region, skin_box = hands[y0:y1, x0:x1], skin[y0:y1, x0:x1]
        if np.count_nonzero(region & skin_box) < MIN_SKIN_SHARE * np.count_nonzero(region):
            continue
        from_skin = cv2.distanceTransform((~skin_box).view(np.uint8), cv2.DIST_L2, 3)
        hand_here = region & (from_skin <= reach)
        if image_rgb is not None:
            local = np.asarray(hand, dtype=np.float64)[:, :2] - (x0, y0)
            hand_here |= region & graph_cut_hand(image_rgb[y0:y1, x0:x1], region, hand_here, skin_box, local)
        kept[y0:y1, x0:x1] &= ~region | fill_holes(hand_here)
    return kept


def graph_cut_hand(
    image_rgb: np.ndarray, region: np.ndarray, likely: np.ndarray, skin: np.ndarray, hand_px: np.ndarray
) -> np.ndarray:
    """``HxW`` bool: the pixels of a hand's box (``image_rgb``, ``HxWx3``) that OpenCV's GrabCut
    labels hand.

    Seeds: outside ``region`` (the grown hull) not hand; inside it, the hand's bones
    (:data:`HAND_BONES` through ``hand_px``, ``(21, 2)`` in box coordinates) where they are
    ``skin`` are hand, ``likely`` probably hand, the rest probably not. The cut runs on a grid of
    :data:`GRAPH_CUT_HAND_CELLS` per hand length and is scaled back up. All False when it has no
    hand seed.
    """
    height, width = region.shape
    size = hand_size_px(hand_px)
    bones = np.zeros((height, width), dtype=np.uint8)
    points = np.round(hand_px).astype(np.int32)
    for chain in HAND_BONES:
        cv2.polylines(bones, [points[list(chain)]], False, 1, max(1, round(BONE_WIDTH_REL * size)))
    seeds = np.full((height, width), cv2.GC_BGD, dtype=np.uint8)
    seeds[region] = cv2.GC_PR_BGD
    seeds[likely & region] = cv2.GC_PR_FGD
    seeds[(bones > 0) & skin & region] = cv2.GC_FGD
    factor = min(1.0, GRAPH_CUT_HAND_CELLS / max(size, 1.0))
    small_wh = (max(2, round(width * factor)), max(2, round(height * factor)))
    small = cv2.resize(np.ascontiguousarray(image_rgb), small_wh, interpolation=cv2.INTER_AREA)
    small_seeds = cv2.resize(seeds, small_wh, interpolation=cv2.INTER_NEAREST)
    if not (small_seeds == cv2.GC_FGD).any() or not np.isin(small_seeds, (cv2.GC_BGD, cv2.GC_PR_BGD)).any():
        return np.zeros((height, width), dtype=bool)
    models = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    unused_rect = (0, 0, *small_wh)  # read only by GC_INIT_WITH_RECT
    cv2.setRNGSeed(GRAPH_CUT_SEED)
    cv2.grabCut(small, small_seeds, unused_rect, *models, GRAPH_CUT_ITERATIONS, cv2.GC_INIT_WITH_MASK)
    hand = np.isin(small_seeds, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.uint8)
    return cv2.resize(hand, (width, height), interpolation=cv2.INTER_LINEAR) > 0
