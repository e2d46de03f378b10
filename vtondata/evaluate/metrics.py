"""Per-sample mask scores against ground truth (docs/evaluation.md, DESIGN section 9).

A candidate mask ``M`` (``HxW`` bool, True = repaint) of a category is scored
against ground-truth layers named as :func:`vtondata.geometry.parsing.parse_layers`
names them (``person``, ``face``, ``hair``, ``arms``, ``legs``, ``feet``,
``garment_upper`` / ``garment_lower`` / ``garment_dress``) and canonical
keypoints ``(19, 3)``. Parse maps label no hands, and often no bare feet: a hand
is the ``arms`` pixels in a zone past the wrist, a bare foot the ``legs`` pixels
in a zone past the ankle, both drawn by the same region functions the mask uses
(``regions.hand_regions`` / ``foot_regions``) but larger than the mask's own
protection, so that the judge does not simply agree with the mask by
construction. A ``hands`` layer, where the ground truth has one (synthetic
bodies), is added to the zone's pixels.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

import cv2
import numpy as np

from vtondata.config.mask import ProtectParams
from vtondata.geometry import regions
from vtondata.geometry.agnostic import checked_layer
from vtondata.sample import Category

GARMENT_LAYERS: dict[Category, tuple[str, ...]] = {
    Category.UPPER: ("garment_upper",),
    Category.LOWER: ("garment_lower",),
    Category.DRESS: ("garment_dress", "garment_upper", "garment_lower"),
}
"""Ground-truth layers that make up ``G_c``: what a mask of the category must repaint."""

LIMB_LAYERS: dict[Category, tuple[str, ...]] = {
    Category.UPPER: ("arms",),
    Category.LOWER: ("legs",),
    Category.DRESS: ("arms", "legs"),
}

END_ZONES = ProtectParams(
    hand_start_rel=0.0,
    hand_length_rel=0.8,
    hand_half_width_rel=0.3,
    foot_start_rel=0.0,
    foot_length_rel=0.6,
    foot_half_width_rel=0.3,
)
"""Where hands and bare feet are looked for: from the wrist (ankle) line on, 0.8 s (0.6 s) long and 0.6 s
wide, about twice a hand's (foot's) size, so any skin past the joint counts as hand or foot."""

BACKGROUND_DISTANCE_REL = 0.05
"""Mask pixels farther than this share of the image height from the person are background excess."""


@dataclass(frozen=True)
class MaskScores:
    """Scores of one mask; ``None`` where the ground truth has no pixels to measure on.

    Shares are in [0, 1]. ``garment_coverage``, ``limb_coverage``, ``hands_kept``
    and ``feet_kept``: higher is better; ``face_intrusion``, ``hair_intrusion``
    and ``background_excess``: lower is better. ``*_px`` count the ground-truth
    pixels each share is taken over.
    """

    area_ratio: float
    garment_coverage: float | None
    limb_coverage: float | None
    face_intrusion: float | None
    hair_intrusion: float | None
    hands_kept: float | None
    feet_kept: float | None
    background_excess: float | None
    garment_px: int
    limb_px: int
    hands_px: int
    feet_px: int

    def as_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


def score_mask(
    mask: np.ndarray,
    layers: Mapping[str, np.ndarray],
    keypoints_px: np.ndarray,
    category: Category | str,
    *,
    min_confidence: float = 0.2,
) -> MaskScores:
    """Score ``mask`` (``HxW`` bool, True = repaint) of ``category`` against ground-truth ``layers``.

    Joints at or below ``min_confidence`` are ignored; untrusted wrists and
    ankles are extrapolated along their limb (as the mask does). Without a
    body frame (neither shoulders nor hips), no hand or foot zone is drawn.
    """
    category = Category(category)
    mask = np.asarray(mask, dtype=bool)
    shape_hw = mask.shape
    empty = np.zeros(shape_hw, dtype=bool)
    layer = lambda name: checked_layer(layers.get(name), name, shape_hw)  # noqa: E731
    hands, feet = end_regions(layers, keypoints_px, shape_hw, min_confidence)
    garment = _union([layer(name) for name in GARMENT_LAYERS[category]], empty)
    limbs = _limbs(layers, category, shape_hw) & ~hands & ~feet
    face, hair, person = layer("face"), layer("hair"), layer("person")
    return MaskScores(
        area_ratio=float(mask.mean()),
        garment_coverage=_share(mask, garment),
        limb_coverage=_share(mask, limbs),
        face_intrusion=_share(mask, face),
        hair_intrusion=_share(mask, hair),
        hands_kept=_kept(mask, hands),
        feet_kept=_kept(mask, feet),
        background_excess=background_excess(mask, person) if person is not None else None,
        garment_px=int(np.count_nonzero(garment)),
        limb_px=int(np.count_nonzero(limbs)),
        hands_px=int(np.count_nonzero(hands)),
        feet_px=int(np.count_nonzero(feet)),
    )


def limb_skin(
    layers: Mapping[str, np.ndarray],
    keypoints_px: np.ndarray,
    category: Category | str,
    shape_hw: tuple[int, int],
    min_confidence: float = 0.2,
) -> np.ndarray:
    """``HxW`` bool: the category's limb layers (arms, legs or both) without hands and feet.

    What limb coverage is measured over, and the skin whose visibility form
    leakage tests: a mask keeps hands and feet by design, so skin past the
    wrist and ankle lines says nothing about the mask.
    """
    hands, feet = end_regions(layers, keypoints_px, shape_hw, min_confidence)
    return _limbs(layers, Category(category), shape_hw) & ~hands & ~feet


def _limbs(layers: Mapping[str, np.ndarray], category: Category, shape_hw: tuple[int, int]) -> np.ndarray:
    empty = np.zeros(shape_hw, dtype=bool)
    return _union([checked_layer(layers.get(name), name, shape_hw) for name in LIMB_LAYERS[category]], empty)


def end_regions(
    layers: Mapping[str, np.ndarray],
    keypoints_px: np.ndarray,
    shape_hw: tuple[int, int],
    min_confidence: float = 0.2,
) -> tuple[np.ndarray, np.ndarray]:
    """Ground-truth hands and feet, ``HxW`` bool each.

    Hands: the ``hands`` layer (when given) plus the ``arms`` pixels in the
    hand zones (:data:`END_ZONES`), so limb skin past the wrist line is
    always hand. Feet: the ``feet`` layer (shoes, socks) plus the ``legs``
    pixels in the foot zones.
    """
    hands = checked_layer(layers.get("hands"), "hands", shape_hw)
    feet = checked_layer(layers.get("feet"), "feet", shape_hw)
    arms = checked_layer(layers.get("arms"), "arms", shape_hw)
    legs = checked_layer(layers.get("legs"), "legs", shape_hw)
    hand_zone, foot_zone = _end_zones(keypoints_px, shape_hw, min_confidence)
    return _zone_union(hands, arms, hand_zone, shape_hw), _zone_union(feet, legs, foot_zone, shape_hw)


def _zone_union(
    part: np.ndarray | None, limb: np.ndarray | None, zone: np.ndarray, shape_hw: tuple[int, int]
) -> np.ndarray:
    out = part.copy() if part is not None else np.zeros(shape_hw, dtype=bool)
    if limb is not None:
        out |= limb & zone
    return out


def background_excess(mask: np.ndarray, person: np.ndarray) -> float | None:
    """Share of ``mask`` farther than :data:`BACKGROUND_DISTANCE_REL` x image height from ``person``.

    ``None`` when the mask is empty; 1.0 when there is no person at all.
    """
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return None
    person = np.asarray(person, dtype=bool)
    if not person.any():
        return 1.0
    distance_px = cv2.distanceTransform((~person).view(np.uint8), cv2.DIST_L2, 5)
    far = distance_px > BACKGROUND_DISTANCE_REL * mask.shape[0]
    return float(np.count_nonzero(mask & far)) / float(np.count_nonzero(mask))


def _end_zones(
    keypoints_px: np.ndarray, shape_hw: tuple[int, int], min_confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    kp = np.array(keypoints_px, dtype=np.float32, copy=True)
    kp[kp[:, 2] <= min_confidence, 2] = 0.0
    kp = regions.complete_limb_ends(kp)
    try:
        frame = regions.body_frame(kp)
    except ValueError:
        empty = np.zeros(shape_hw, dtype=bool)
        return empty, empty.copy()
    hands = regions.fill_polygons(shape_hw, regions.hand_regions(kp, frame, END_ZONES, 0.0))
    feet = regions.fill_polygons(shape_hw, regions.foot_regions(kp, frame, END_ZONES, 0.0))
    return hands, feet


def _union(layers: list[np.ndarray | None], empty: np.ndarray) -> np.ndarray:
    out = empty.copy()
    for layer in layers:
        if layer is not None:
            out |= layer
    return out


def _share(mask: np.ndarray, of: np.ndarray | None) -> float | None:
    """``|mask & of| / |of|``, ``None`` when ``of`` is absent or empty."""
    if of is None:
        return None
    total = np.count_nonzero(of)
    return float(np.count_nonzero(mask & of)) / float(total) if total else None


def _kept(mask: np.ndarray, of: np.ndarray) -> float | None:
    covered = _share(mask, of)
    return None if covered is None else 1.0 - covered
