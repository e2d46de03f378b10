"""The category-agnostic inpainting mask: one shape per pose, whatever garment is worn.

A try-on model learns to repaint the masked region with a new garment; if the
mask's shape follows the old garment (sleeve length, skirt versus trousers),
the model learns to copy that shape. So the mask is the union of pose-drawn
regions large enough for any garment of the category (limb capsules, a torso
or hip-to-ankle region), the category's garment evidence and, optionally, the
person silhouette within the category's band; closed and dilated with
scale-relative radii; minus the face, head hair, hands and feet, each grown by
a margin. Garment evidence always stays masked, except where an evidence layer
says face, hair, hand or foot: evidence beats the pose-derived guesses.

Morphology runs on a grid coarsened so that the body scale spans about
``work_scale_px`` cells (``CategoryMaskParams``): a 768x1024 mask then costs a
few milliseconds whatever the radii. Joint policy: shoulders, elbows, hips and
knees must be trusted; an untrusted wrist or ankle is extrapolated along its
limb (hands in pockets, feet cut by the frame are common and the capsule still
covers the limb's likely place), see ``regions.complete_limb_ends``.
"""

from __future__ import annotations

from collections.abc import Mapping

import cv2
import numpy as np

from vtondata.config.mask import CategoryMaskParams
from vtondata.geometry import regions
from vtondata.geometry.keypoints import J
from vtondata.geometry.out_of_frame import PLACEABLE, place_out_of_frame
from vtondata.sample import Category

_ARMS = ("left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist")
_HIPS = ("left_hip", "right_hip")
_LEGS = ("left_knee", "right_knee", "left_ankle", "right_ankle")
_REQUIRED = {
    Category.UPPER: (*_ARMS, *_HIPS),
    Category.LOWER: (*_HIPS, *_LEGS),
    Category.DRESS: (*_ARMS, *_HIPS, *_LEGS),
}
_EXTRAPOLATED_FROM = {
    "left_wrist": ("left_shoulder", "left_elbow"),
    "right_wrist": ("right_shoulder", "right_elbow"),
    "left_ankle": ("left_hip", "left_knee"),
    "right_ankle": ("right_hip", "right_knee"),
}
PROTECTED_LAYERS = ("face", "hair", "hands", "feet")


def required_joints(category: Category | str) -> tuple[str, ...]:
    """Canonical joint names the category's mask is drawn from."""
    return _REQUIRED[Category(category)]


def missing_joints(
    keypoints_px: np.ndarray,
    category: Category | str,
    min_confidence: float,
    frame_xyxy: tuple[int, int, int, int] | None = None,
) -> list[str]:
    """Required joints at or below ``min_confidence`` that cannot be extrapolated.

    A wrist (ankle) is not missing when its shoulder and elbow (hip and knee)
    are trusted: the mask extrapolates it. Given the photo's area
    ``frame_xyxy``, a joint the category may lack that lies outside it is not
    missing either: it is placed (:mod:`vtondata.geometry.out_of_frame`).
    """
    if frame_xyxy is not None:
        keypoints_px, _ = place_out_of_frame(
            keypoints_px, frame_xyxy, PLACEABLE[str(category)], min_confidence
        )
    trusted = np.asarray(keypoints_px, dtype=np.float32)[:, 2] > min_confidence
    missing = [name for name in required_joints(category) if not trusted[J[name]]]
    return [
        name
        for name in missing
        if not (name in _EXTRAPOLATED_FROM and all(trusted[J[p]] for p in _EXTRAPOLATED_FROM[name]))
    ]


def trusted_keypoints(
    keypoints_px: np.ndarray,
    category: Category | str,
    min_confidence: float,
    frame_xyxy: tuple[int, int, int, int] | None = None,
) -> np.ndarray:
    """``(19, 3)`` copy with joints at or below ``min_confidence`` zeroed and limb ends extrapolated.

    With ``frame_xyxy``, joints outside the photo are placed first (see
    :func:`missing_joints`). Raises ``ValueError`` naming the required joints
    that are missing.
    """
    if frame_xyxy is not None:
        keypoints_px, _ = place_out_of_frame(
            keypoints_px, frame_xyxy, PLACEABLE[str(category)], min_confidence
        )
    missing = missing_joints(keypoints_px, category, min_confidence)
    if missing:
        raise ValueError(f"category {Category(category).value} needs joints: {', '.join(missing)}")
    kp = np.array(keypoints_px, dtype=np.float32, copy=True)
    kp[kp[:, 2] <= min_confidence, 2] = 0.0
    return regions.complete_limb_ends(kp)


def agnostic_mask(
    size_wh: tuple[int, int],
    keypoints_px: np.ndarray,
    layers: Mapping[str, np.ndarray],
    category: Category | str,
    params: CategoryMaskParams,
    *,
    min_confidence: float = 0.0,
    frame_xyxy: tuple[int, int, int, int] | None = None,
) -> np.ndarray:
    """The repaint mask, ``HxW`` bool, True = repaint, for an image of ``size_wh = (W, H)``.

    ``keypoints_px`` is canonical ``(19, 3)``; joints at or below
    ``min_confidence`` count as undetected. ``layers`` holds optional ``HxW``
    bool evidence: ``"garment_<category>"``, ``"person"``, and the protected
    ``"face"``, ``"hair"``, ``"hands"``, ``"feet"`` (absent face, hands and
    feet are derived from pose). ``frame_xyxy`` is the photo's own area
    (letterbox bars excluded; default the whole image): joints outside it
    may be placed (:func:`missing_joints`) and the mask never leaves it.
    Deterministic; raises ``ValueError`` when a required joint is missing.
    """
    category = Category(category)
    shape_hw = (size_wh[1], size_wh[0])
    frame_xyxy = frame_xyxy or (0, 0, size_wh[0], size_wh[1])
    kp = trusted_keypoints(keypoints_px, category, min_confidence, frame_xyxy)
    frame = regions.body_frame(kp)
    s = frame.scale_px
    grid = _Grid(shape_hw, max(1, int(s // params.work_scale_px)))
    garment = _layer(layers, f"garment_{category.value}", shape_hw)

    owned = _category_polygons(kp, frame, category, params)
    coarse = grid.fill(owned)
    if garment is not None:
        coarse |= grid.pool(garment)
    skin = _layer(layers, "skin", shape_hw)
    if skin is not None and params.skin_width_rel > 0:
        coarse |= grid.pool(skin) & grid.fill(_skin_zone(kp, category, params, s))
    person = _layer(layers, "person", shape_hw)
    if params.silhouette_in_band and person is not None:
        band = grid.fill([regions.band_polygon(frame, *_band(kp, frame, category, owned), size_wh)])
        coarse |= grid.pool(person) & band & ~grid.fill(_foreign_limbs(kp, frame, category, params))
    mask = grid.grow(grid.close(coarse, params.close_rel * s), params.dilate_rel * s)

    parts = _protected_evidence(layers, shape_hw, garment, exclude=("hair",))
    hair = _protected_evidence(layers, shape_hw, garment, only=("hair",))
    evidence = parts | hair
    margin_px = params.protect.margin_rel * s
    derived_core, derived_grown = _derived_protection(kp, frame, layers, params, margin_px, frame_xyxy)
    core = regions.fill_polygons(shape_hw, derived_core) | evidence
    grown = regions.fill_polygons(shape_hw, derived_grown) | evidence
    if parts.any() and margin_px > 0:
        pooled = grid.pool(parts)
        grown_parts = grid.grow(pooled, margin_px)
        if "hands" in layers or "feet" in layers:
            _drop_margin_behind_ends(grown_parts, parts, pooled, grid.cell, kp, s, margin_px)
        grown |= grown_parts
    hair_margin_px = params.protect.hair_margin_rel * s
    if hair.any() and hair_margin_px > 0:
        grown |= grid.grow(grid.pool(hair), hair_margin_px)
    mask &= ~grown
    if garment is not None:
        # Garment evidence beats the pose-derived guesses, never a protected evidence layer.
        mask |= (grid.grow(grid.pool(garment), params.dilate_rel * s) & ~core) | (garment & ~evidence)
    x0, y0, x1, y1 = frame_xyxy
    if (x0, y0, x1, y1) != (0, 0, size_wh[0], size_wh[1]):
        inside = np.zeros(shape_hw, dtype=bool)
        inside[max(y0, 0) : y1, max(x0, 0) : x1] = True
        mask &= inside
    return mask


def masked_person(
    image_rgb: np.ndarray, mask: np.ndarray, grey_rgb: tuple[int, int, int] = (128, 128, 128)
) -> np.ndarray:
    """``HxWx3`` uint8 copy of the person with every repaint pixel set to ``grey_rgb`` (agnostic.jpg).

    Two masked OpenCV operations in place (clear, then add the grey) take
    about 0.7 ms per 768x1024 photo beyond the copy; numpy's boolean-index
    assignment takes about 5 ms.
    """
    out = np.array(image_rgb, dtype=np.uint8, copy=True, order="C")
    where = np.ascontiguousarray(mask, dtype=bool).view(np.uint8)
    cv2.subtract(out, out, dst=out, mask=where)
    cv2.add(out, np.array([*grey_rgb, 0], dtype=np.float64), dst=out, mask=where)  # a scalar per channel
    return out


def mask_stats(
    mask: np.ndarray, layers: Mapping[str, np.ndarray], keypoints_px: np.ndarray, category: Category | str
) -> dict[str, float]:
    """Statistics of a repaint mask (``HxW`` bool) against the evidence at hand.

    Always ``mask.area_ratio`` (mask pixels / image pixels) and
    ``mask.joint_coverage`` (share of the category's detected joints, wrists and
    ankles aside, that lie in the mask; joints on a protected layer, such as a
    shoulder under long hair or a hip under a hand, are left out). With layers: ``mask.garment_coverage``
    (share of ``garment_<category>`` masked), ``mask.person_coverage`` (share of
    the mask on ``person``), ``mask.face_intrusion`` / ``mask.hair_intrusion``
    (share of face / hair masked), ``mask.hands_kept`` / ``mask.feet_kept``
    (share of hands / feet not masked). A ratio over an empty layer is left out.
    """
    mask = np.asarray(mask, dtype=bool)
    stats = {"mask.area_ratio": float(mask.mean())}
    shares = {
        "mask.garment_coverage": (f"garment_{Category(category).value}", False),
        "mask.face_intrusion": ("face", False),
        "mask.hair_intrusion": ("hair", False),
        "mask.hands_kept": ("hands", True),
        "mask.feet_kept": ("feet", True),
    }
    for key, (name, kept) in shares.items():
        layer = layers.get(name)
        if layer is not None and np.any(layer):
            covered = _share(mask, np.asarray(layer, dtype=bool))
            stats[key] = 1.0 - covered if kept else covered
    person = layers.get("person")
    if person is not None and mask.any():
        stats["mask.person_coverage"] = _share(np.asarray(person, dtype=bool), mask)
    inner = [name for name in required_joints(category) if name not in _EXTRAPOLATED_FROM]
    height, width = mask.shape
    kp = np.asarray(keypoints_px, dtype=np.float32)
    protected = [np.asarray(layers[name], dtype=bool) for name in PROTECTED_LAYERS if name in layers]
    inside = []
    for name in inner:
        x, y = int(kp[J[name], 0]), int(kp[J[name], 1])
        if kp[J[name], 2] <= 0 or not (0 <= x < width and 0 <= y < height):
            continue
        if any(layer[y, x] for layer in protected):
            continue  # a shoulder under long hair or a hip under a hand stays visible on purpose
        inside.append(bool(mask[y, x]))
    if inside:
        stats["mask.joint_coverage"] = float(np.mean(inside))
    return stats


def _share(inside: np.ndarray, of: np.ndarray) -> float:
    """``|inside & of| / |of|`` for ``HxW`` bool arrays, ``of`` non-empty."""
    return float(np.count_nonzero(inside & of)) / float(np.count_nonzero(of))


def _category_polygons(
    kp: np.ndarray, frame: regions.BodyFrame, category: Category, params: CategoryMaskParams
) -> list[np.ndarray]:
    """Pose-drawn regions the category owns: torso and arms (upper), hips to ankles and legs (lower)."""
    s = frame.scale_px
    polygons = []
    if category in (Category.UPPER, Category.DRESS):
        polygons.append(regions.torso_region(kp, frame, params.torso))
        polygons += regions.limb_capsules(kp, regions.ARM_CHAINS, params.arms.width_rel * s)
    if category in (Category.LOWER, Category.DRESS):
        polygons.append(regions.hip_leg_region(kp, frame, params.legs))
        polygons += regions.limb_capsules(kp, regions.LEG_CHAINS, params.legs.width_rel * s)
    return polygons


def _band(
    kp: np.ndarray, frame: regions.BodyFrame, category: Category, owned: list[np.ndarray]
) -> tuple[float, float]:
    """Where along the body axis the silhouette counts: the extent of the category's regions.

    For upper it stops at the hip line: below it the silhouette is the lower
    garment, and the torso region already reaches as low as a long top needs.
    """
    top, bottom = regions.extent_along(frame, owned)
    if category is Category.UPPER:
        bottom = min(bottom, regions.mid_hip_along(kp, frame))
    return top, bottom


def _foreign_limbs(
    kp: np.ndarray, frame: regions.BodyFrame, category: Category, params: CategoryMaskParams
) -> list[np.ndarray]:
    """Limbs the category does not own, kept out of the silhouette term (lower: arms; upper: legs)."""
    s = frame.scale_px
    if category is Category.LOWER:
        return regions.limb_capsules(kp, regions.ARM_CHAINS, params.arms.width_rel * s)
    if category is Category.UPPER:
        return regions.limb_capsules(kp, regions.LEG_CHAINS, params.legs.width_rel * s)
    return []


def _face_above_photo(kp: np.ndarray, frame_xyxy: tuple[int, int, int, int]) -> bool:
    """True when face joints were placed and none of them lies inside the photo."""
    face = kp[[J[name] for name in regions.FACE_JOINTS]]
    placed = face[face[:, 2] > 0]
    return len(placed) > 0 and not regions.points_in_box(placed, frame_xyxy).any()


def _derived_protection(
    kp: np.ndarray,
    frame: regions.BodyFrame,
    layers: Mapping[str, np.ndarray],
    params: CategoryMaskParams,
    grow_px: float,
    frame_xyxy: tuple[int, int, int, int],
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Pose-drawn stand-ins for the protected layers that are absent: as drawn, and grown by ``grow_px``.

    No head is drawn when every face joint the pose model placed lies outside
    the photo (a photo cut below the mouth: models place the face above the
    edge): the photo holds no face, and a head ellipse reaching down from
    there would keep the neck and the collar out of the mask.
    """
    core: list[np.ndarray] = []
    grown: list[np.ndarray] = []
    if "face" not in layers and not _face_above_photo(kp, frame_xyxy):
        core += regions.head_region(kp, frame, params.protect, 0.0)
        grown += regions.head_region(kp, frame, params.protect, grow_px)
    for name, derive in (("hands", regions.hand_regions), ("feet", regions.foot_regions)):
        layer = layers.get(name)
        sides = zip(
            derive(kp, frame, params.protect, 0.0), derive(kp, frame, params.protect, grow_px), strict=True
        )
        for side_core, side_grown in sides:
            # A side the layer misses (one hand found, the other hidden) keeps its pose stand-in.
            if layer is None or not _overlaps(layer, side_core):
                core.append(side_core)
                grown.append(side_grown)
    return core, grown


END_REACH_REL = 0.8
"""How far from its wrist or ankle a hand or foot is looked for, / s (a hand is about 0.5 s long)."""


def _drop_margin_behind_ends(
    grown: np.ndarray,
    parts: np.ndarray,
    pooled: np.ndarray,
    cell: int,
    kp: np.ndarray,
    scale_px: float,
    margin_px: float,
) -> None:
    """Take out of ``grown`` (in place) the margin on the limb's side of each hand and foot.

    A hand's margin keeps its edge from being repainted, but on the
    forearm's side it also keeps a band of whatever meets the hand: bare skin
    under a short sleeve, a cuff under a long one. That band alone tells the
    sleeve (or, above the feet, the hem) apart, so on that side the hand ends
    at its own edge. The protected cells (``pooled``, ``parts`` on the grid of
    ``cell`` pixels) nearest to a trusted wrist or ankle, within reach, are its
    hand or foot; behind that hand's centre along the limb (elbow to wrist,
    knee to ankle), as wide as the hand, its margin is dropped. Pose-drawn
    stand-ins are not in ``parts``: they are guesses placed from the wrist and
    keep their whole margin.
    """
    limbs = [
        (kp[J[middle], :2], kp[J[end], :2])
        for _root, middle, end in regions.ARM_CHAINS + regions.LEG_CHAINS
        if kp[J[middle], 2] > 0 and kp[J[end], 2] > 0
    ]
    if not limbs:
        return
    rows, cols = np.nonzero(pooled)
    cells_xy = (np.stack([cols, rows], axis=1).astype(np.float32) + 0.5) * cell
    ends_xy = np.array([end for _middle, end in limbs], dtype=np.float32)
    distance = np.linalg.norm(cells_xy[:, None, :] - ends_xy[None, :, :], axis=2)
    nearest = np.argmin(distance, axis=1)
    reach = END_REACH_REL * scale_px
    pad = margin_px + cell
    for side, (middle, end) in enumerate(limbs):
        own = cells_xy[(nearest == side) & (distance[:, side] <= reach)]
        length = float(np.linalg.norm(end - middle))
        if own.size == 0 or length < 1e-6:
            continue
        along = (end - middle) / length
        across = np.array([-along[1], along[0]], dtype=np.float32)
        centre = own.mean(axis=0)
        back = float(np.max((centre - own) @ along)) + pad
        half_width = float(np.max(np.abs((own - centre) @ across))) + pad
        behind = np.array(
            [
                centre + across * half_width,
                centre - across * half_width,
                centre - across * half_width - along * back,
                centre + across * half_width - along * back,
            ],
            dtype=np.float32,
        )
        _clear_outside(grown, parts, behind)


def _clear_outside(grown: np.ndarray, parts: np.ndarray, polygon: np.ndarray) -> None:
    """Set ``grown`` False inside ``polygon`` except on ``parts`` (both ``HxW`` bool; in place)."""
    window = _polygon_window(grown.shape, polygon)
    if window is not None:
        box, inside = window
        grown[box] &= ~inside | parts[box]


def _polygon_window(
    shape_hw: tuple[int, ...], polygon: np.ndarray
) -> tuple[tuple[slice, slice], np.ndarray] | None:
    """The polygon's bounding box within an image of ``shape_hw``, and the polygon rasterised in it;
    ``None`` when the box lies outside the image. Filling only the box keeps small polygons cheap."""
    height, width = shape_hw[:2]
    x0, y0 = np.clip(np.floor(polygon.min(axis=0)).astype(int), 0, (width, height))
    x1, y1 = np.clip(np.ceil(polygon.max(axis=0)).astype(int) + 1, 0, (width, height))
    if x1 <= x0 or y1 <= y0:
        return None
    inside = regions.fill_polygons((y1 - y0, x1 - x0), [polygon - np.array([x0, y0], dtype=np.float32)])
    return (slice(y0, y1), slice(x0, x1)), inside


def _overlaps(layer: np.ndarray, polygon: np.ndarray) -> bool:
    """True when any pixel of the ``HxW`` bool ``layer`` lies inside ``polygon`` (checked in its box)."""
    window = _polygon_window(layer.shape, polygon)
    return window is not None and bool(np.any(layer[window[0]] & window[1]))


def _protected_evidence(
    layers: Mapping[str, np.ndarray],
    shape_hw: tuple[int, int],
    garment: np.ndarray | None,
    *,
    only: tuple[str, ...] = PROTECTED_LAYERS,
    exclude: tuple[str, ...] = (),
) -> np.ndarray:
    """The union of the protected layers named in ``only`` and not in ``exclude``; hair gives way to
    the category's garment evidence (hair over a garment is the garment's edge as far as the mask
    is concerned)."""
    out = np.zeros(shape_hw, dtype=bool)
    for name in PROTECTED_LAYERS:
        if name not in only or name in exclude:
            continue
        layer = _layer(layers, name, shape_hw)
        if layer is not None:
            out |= layer & ~garment if name == "hair" and garment is not None else layer
    return out


def _skin_zone(kp: np.ndarray, category: Category, params: CategoryMaskParams, s: float) -> list[np.ndarray]:
    """Where visible skin joins the mask: wide capsules along the category's limbs, past their ends.

    Bare forearms or shins outside the pose capsules would tell a short
    sleeve or hem from a long one; the hand and foot protection, subtracted
    later, stops the zone where the hand or foot begins.
    """
    chains = {
        Category.UPPER: regions.ARM_CHAINS,
        Category.LOWER: regions.LEG_CHAINS,
        Category.DRESS: regions.ARM_CHAINS + regions.LEG_CHAINS,
    }[category]
    extended = np.array(kp, copy=True)
    for _root, middle, end in chains:
        if kp[J[middle], 2] > 0 and kp[J[end], 2] > 0:
            direction = kp[J[end], :2] - kp[J[middle], :2]
            length = float(np.linalg.norm(direction))
            if length > 1e-6:
                extended[J[end], :2] = kp[J[end], :2] + direction / length * params.skin_past_end_rel * s
    return regions.limb_capsules(extended, chains, params.skin_width_rel * s)


def _layer(layers: Mapping[str, np.ndarray], name: str, shape_hw: tuple[int, int]) -> np.ndarray | None:
    return checked_layer(layers.get(name), name, shape_hw)


def checked_layer(layer: np.ndarray | None, name: str, shape_hw: tuple[int, int]) -> np.ndarray | None:
    """``layer`` as a contiguous ``HxW`` bool array, ``None`` when absent; a layer of another shape
    belongs to another image and raises ``ValueError``."""
    if layer is None:
        return None
    layer = np.ascontiguousarray(layer, dtype=bool)
    if layer.shape != shape_hw:
        raise ValueError(f"layer {name!r} is {layer.shape}, expected HxW {shape_hw}")
    return layer


class _Grid:
    """The coarse grid morphology runs on: ``cell x cell`` pixel blocks of an ``HxW`` image."""

    def __init__(self, shape_hw: tuple[int, int], cell: int) -> None:
        self.shape_hw = shape_hw
        self.cell = cell
        self.grid_hw = (-(-shape_hw[0] // cell), -(-shape_hw[1] // cell))

    def fill(self, polygons: list[np.ndarray]) -> np.ndarray:
        """Polygons in image pixels, rasterised on the grid."""
        return regions.fill_polygons(self.grid_hw, polygons, 1.0 / self.cell)

    def pool(self, mask: np.ndarray) -> np.ndarray:
        """A cell is set when at least about half of its block is: more than half, or exactly half
        of a 2x2 block (OpenCV's area average, rounded).

        Only the blocks around the set pixels are averaged: most layers (face,
        hair, hands, feet) cover a small part of the photo.
        """
        if self.cell == 1:
            return mask.copy()
        pixels = np.ascontiguousarray(mask).view(np.uint8)
        pooled = np.zeros(self.grid_hw, dtype=bool)
        window = self._window(pixels, 0, self.cell)
        if window is None:
            return pooled
        (r0, r1), (c0, c1) = window
        cell = self.cell
        block = pixels[r0 * cell : r1 * cell, c0 * cell : c1 * cell]
        short_rows, short_cols = (r1 - r0) * cell - block.shape[0], (c1 - c0) * cell - block.shape[1]
        if short_rows or short_cols:  # the photo's last blocks, padded with unset pixels
            block = cv2.copyMakeBorder(block, 0, short_rows, 0, short_cols, cv2.BORDER_CONSTANT, value=0)
        pooled[r0:r1, c0:c1] = cv2.resize(block, (c1 - c0, r1 - r0), interpolation=cv2.INTER_AREA) > 0
        return pooled

    def _window(
        self, layer: np.ndarray, margin_cells: int, pixels_per_unit: int = 1
    ) -> tuple[tuple[int, int], tuple[int, int]] | None:
        """Grid rows and columns (start, end) under the set part of ``layer``, a grid
        (``pixels_per_unit`` 1) or an image (``self.cell``), widened by ``margin_cells`` and clipped
        to the grid; ``None`` when nothing is set."""
        x, y, width, height = (int(value) for value in cv2.boundingRect(layer.view(np.uint8)))
        if width == 0 or height == 0:
            return None
        unit, (rows, cols) = pixels_per_unit, self.grid_hw
        r0, c0 = max(y // unit - margin_cells, 0), max(x // unit - margin_cells, 0)
        r1 = min(-(-(y + height) // unit) + margin_cells, rows)
        c1 = min(-(-(x + width) // unit) + margin_cells, cols)
        return (r0, r1), (c0, c1)

    def close(self, grid: np.ndarray, radius_px: float) -> np.ndarray:
        """Morphological closing on the grid by a disc of ``radius_px``: fills gaps narrower than twice it."""
        radius = radius_px / self.cell
        if radius <= 0:
            return grid
        closed = np.zeros_like(grid)
        window = self._window(grid, _reach_cells(radius))
        if window is None:
            return closed
        rows, cols = (slice(*window[0]), slice(*window[1]))
        dilated = cv2.distanceTransform((~grid[rows, cols]).view(np.uint8), cv2.DIST_L2, 5) <= radius
        closed[rows, cols] = cv2.distanceTransform(dilated.view(np.uint8), cv2.DIST_L2, 5) > radius
        return closed

    def grow(self, grid: np.ndarray, radius_px: float) -> np.ndarray:
        """``grid`` dilated by ``radius_px``, back at full resolution (``HxW`` bool).

        A set cell stands for its whole block, whose edge lies half a cell from
        its centre. The dilation is read off a distance field that is upsampled
        bilinearly before thresholding, so the full-resolution edge is smooth.
        """
        radius = max(radius_px, 0.0) / self.cell + 0.5
        grown = np.zeros(self.shape_hw, dtype=bool)
        window = self._window(grid, _reach_cells(radius))
        if window is None:
            return grown
        (r0, r1), (c0, c1) = window
        distance = cv2.distanceTransform((~grid[r0:r1, c0:c1]).view(np.uint8), cv2.DIST_L2, 5)
        field = np.float32(radius) - distance
        if self.cell > 1:
            size = ((c1 - c0) * self.cell, (r1 - r0) * self.cell)
            field = cv2.resize(field, size, interpolation=cv2.INTER_LINEAR)
        y0, x0 = r0 * self.cell, c0 * self.cell
        y1, x1 = min(r1 * self.cell, self.shape_hw[0]), min(c1 * self.cell, self.shape_hw[1])
        grown[y0:y1, x0:x1] = field[: y1 - y0, : x1 - x0] >= 0
        return grown


def _reach_cells(radius_cells: float) -> int:
    """How far past the set cells a window must reach for a disc of ``radius_cells``: the disc, and two
    cells of unset ring, so that a distance transform and a bilinear read inside the window equal
    those over the whole grid (the window's edge lies farther than the radius from every set cell)."""
    return int(np.ceil(radius_cells)) + 2
