"""SAM2 prompts and pose priors from canonical keypoints: where each evidence layer must be.

For every layer (a garment class, the person, or a body part kept out of the
agnostic mask) this module gives a :class:`Prompt`: positive points on the
part, negative points where the part must not spread (the face for garments,
the neighbouring garment, the background beside the body) and a box from the
pose extent. The same pose also draws the layer's **prior**, a rough region
where the layer should be; :mod:`vtondata.geometry.selection` compares SAM2's
candidates with it. Per-side parts (hands, feet, arms, legs) get one prompt
per side whose masks are unioned into one layer.

Keypoints are canonical ``(19, 3)`` float32 ``(x_px, y_px, confidence)``;
a joint is used when its confidence exceeds ``min_confidence``. Points are
``(K, 2)`` float32 ``(x_px, y_px)``, labels ``(K,)`` int32 (1 positive, 0
negative), boxes ``(4,)`` float32 ``xyxy`` clipped to the image. Lengths are
multiples of the body scale ``s`` (shoulder width, see ``regions.body_frame``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from vtondata.geometry import regions
from vtondata.geometry.keypoints import J

LAYERS = (
    "person", "garment_upper", "garment_lower", "garment_dress",
    "face", "hair", "hands", "feet", "arms", "legs",
)  # fmt: skip
SIDES = ("left", "right")
FACE_JOINTS = ("nose", "left_eye", "right_eye", "left_ear", "right_ear")

BOX_PAD_REL = 0.35
"""Room around the joints spanned by a box, in body scales (garments and limbs are wider than bones)."""
OUTSIDE_REL = 0.6
"""Background negatives sit this many body scales beside the widest joint at shoulder and knee height."""


@dataclass(frozen=True)
class Prompt:
    """One SAM2 prompt for one layer (``part`` names the side for per-side layers)."""

    layer: str
    part: str
    points_px: np.ndarray
    labels: np.ndarray
    box_xyxy: np.ndarray

    @property
    def num_points(self) -> int:
        return int(self.labels.shape[0])


def layer_prompts(
    keypoints_px: np.ndarray, size_wh: tuple[int, int], layers: Iterable[str], min_confidence: float = 0.0
) -> list[Prompt]:
    """Prompts for the requested layers; layers whose joints are not trusted get none.

    Returns an empty list when the pose gives no body frame (no trusted
    shoulders or hips): a prompt from nowhere would only mislead SAM2.
    """
    kp = _trusted(keypoints_px, min_confidence)
    try:
        frame = regions.body_frame(kp)
    except ValueError:
        return []
    prompts: list[Prompt] = []
    for layer in layers:
        if layer not in LAYERS:
            raise ValueError(f"unknown layer {layer!r}; choose from {LAYERS}")
        prompts += _BUILDERS[layer](kp, frame, size_wh)
    return prompts


def layer_prior(
    layer: str, keypoints_px: np.ndarray, shape_hw: tuple[int, int], min_confidence: float = 0.0
) -> np.ndarray:
    """``HxW`` bool region where ``layer`` is expected from pose alone (all False when it cannot be drawn)."""
    kp = _trusted(keypoints_px, min_confidence)
    try:
        frame = regions.body_frame(kp)
    except ValueError:
        return np.zeros(shape_hw, dtype=bool)
    return regions.fill_polygons(shape_hw, _PRIORS[layer](kp, frame))


def _trusted(keypoints_px: np.ndarray, min_confidence: float) -> np.ndarray:
    kp = np.array(keypoints_px, dtype=np.float32, copy=True)
    kp[kp[:, 2] <= min_confidence, 2] = 0.0
    return kp


def _has(kp: np.ndarray, *names: str) -> bool:
    return all(kp[J[name], 2] > 0 for name in names)


def _xy(kp: np.ndarray, name: str) -> np.ndarray:
    return kp[J[name], :2].astype(np.float64)


def _lerp(kp: np.ndarray, a: str, b: str, t: float) -> np.ndarray:
    return (1 - t) * _xy(kp, a) + t * _xy(kp, b)


def _box(points: list[np.ndarray], pad_px: float, size_wh: tuple[int, int]) -> np.ndarray:
    xy = np.asarray(points, dtype=np.float64)
    x0, y0 = xy.min(axis=0) - pad_px
    x1, y1 = xy.max(axis=0) + pad_px
    width, height = size_wh
    return np.array([max(x0, 0), max(y0, 0), min(x1, width - 1), min(y1, height - 1)], dtype=np.float32)


def _prompt(
    layer: str,
    part: str,
    positives: list[np.ndarray],
    negatives: list[np.ndarray],
    box_points: list[np.ndarray],
    pad_px: float,
    size_wh: tuple[int, int],
) -> Prompt:
    width, height = size_wh
    points = np.asarray(positives + negatives, dtype=np.float32).reshape(-1, 2)
    points[:, 0] = np.clip(points[:, 0], 0, width - 1)
    points[:, 1] = np.clip(points[:, 1], 0, height - 1)
    labels = np.array([1] * len(positives) + [0] * len(negatives), dtype=np.int32)
    return Prompt(layer, part, points, labels, _box(box_points, pad_px, size_wh))


def _face_centre(kp: np.ndarray) -> np.ndarray | None:
    found = [_xy(kp, name) for name in FACE_JOINTS if _has(kp, name)]
    return np.mean(found, axis=0) if found else None


def _face_negatives(kp: np.ndarray) -> list[np.ndarray]:
    centre = _face_centre(kp)
    return [] if centre is None else [centre]


def _outside(kp: np.ndarray, frame: regions.BodyFrame) -> list[np.ndarray]:
    """Background points beside the body, at shoulder and knee height, left and right."""
    trusted = kp[kp[:, 2] > 0, :2].astype(np.float64)
    across = (trusted - frame.origin_px) @ frame.across
    reach = [across.min() - OUTSIDE_REL * frame.scale_px, across.max() + OUTSIDE_REL * frame.scale_px]
    heights = [0.0]
    if _has(kp, "left_knee", "right_knee"):
        knee = (_xy(kp, "left_knee") + _xy(kp, "right_knee")) / 2
        heights.append(float((knee - frame.origin_px) @ frame.down))
    return [frame.origin_px + frame.across * r + frame.down * h for r in reach for h in heights]


def _torso_points(kp: np.ndarray) -> list[np.ndarray]:
    if not _has(kp, "left_shoulder", "right_shoulder", "left_hip", "right_hip"):
        return []
    neck, down = _xy(kp, "neck"), _xy(kp, "mid_hip") - _xy(kp, "neck")
    middle = neck + 0.45 * down
    sides = [(middle + _lerp(kp, f"{side}_shoulder", f"{side}_hip", 0.45)) / 2 for side in SIDES]
    return [neck + 0.25 * down, middle, neck + 0.7 * down, *sides]


def _thigh_points(kp: np.ndarray) -> list[np.ndarray]:
    points = []
    if _has(kp, "left_hip", "right_hip"):
        points.append(_xy(kp, "mid_hip") + 0.15 * (_xy(kp, "mid_hip") - _xy(kp, "neck")))
    for side in SIDES:
        if _has(kp, f"{side}_hip", f"{side}_knee"):
            points.append(_lerp(kp, f"{side}_hip", f"{side}_knee", 0.4))
    return points


def _joints(kp: np.ndarray, names: Iterable[str]) -> list[np.ndarray]:
    return [_xy(kp, name) for name in names if _has(kp, name)]


_UPPER_BOX = ("left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_hip", "right_hip")
_LOWER_BOX = ("left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle")


def _person(kp, frame, size_wh):
    positives = _joints(kp, ("neck", "mid_hip")) + _torso_points(kp)[:1] + _thigh_points(kp)[1:]
    box_points = [kp[i, :2] for i in range(kp.shape[0]) if kp[i, 2] > 0]
    pad = BOX_PAD_REL * frame.scale_px * 1.5
    return [_prompt("person", "person", positives, _outside(kp, frame), box_points, pad, size_wh)]


def _garment(layer: str, positives, negatives, box_names, kp, frame, size_wh) -> list[Prompt]:
    box_points = _joints(kp, box_names)
    if not positives or len(box_points) < 2:
        return []
    pad = BOX_PAD_REL * frame.scale_px
    return [_prompt(layer, layer, positives, negatives, box_points, pad, size_wh)]


def _upper(kp, frame, size_wh):
    negatives = _face_negatives(kp) + _outside(kp, frame)[:2]
    negatives += [_lerp(kp, f"{s}_hip", f"{s}_knee", 0.6) for s in SIDES if _has(kp, f"{s}_hip", f"{s}_knee")]
    return _garment("garment_upper", _torso_points(kp), negatives, _UPPER_BOX, kp, frame, size_wh)


def _lower(kp, frame, size_wh):
    negatives = _face_negatives(kp) + _outside(kp, frame)[2:]
    torso = _torso_points(kp)
    negatives += torso[:1]
    return _garment("garment_lower", _thigh_points(kp), negatives, _LOWER_BOX, kp, frame, size_wh)


def _dress(kp, frame, size_wh):
    positives = _torso_points(kp)[:2] + _thigh_points(kp)
    negatives = _face_negatives(kp) + _outside(kp, frame)
    return _garment("garment_dress", positives, negatives, _UPPER_BOX + _LOWER_BOX, kp, frame, size_wh)


def _face(kp, frame, size_wh):
    centre = _face_centre(kp)
    if centre is None:
        return []
    s = frame.scale_px
    negatives = [frame.origin_px + frame.down * 0.3 * s]
    box = [centre - 0.3 * s, centre + 0.3 * s]
    return [_prompt("face", "face", [centre], negatives, box, 0.0, size_wh)]


def _hair(kp, frame, size_wh):
    centre = _face_centre(kp)
    if centre is None:
        return []
    s = frame.scale_px
    crown = centre - frame.down * 0.35 * s
    box = [centre - frame.across * 0.5 * s - frame.down * 0.7 * s, centre + frame.across * 0.5 * s]
    box.append(frame.origin_px + frame.down * 0.2 * s)
    return [_prompt("hair", "hair", [crown], [centre], box, 0.0, size_wh)]


def _hand_centre(kp: np.ndarray, side: str) -> np.ndarray:
    elbow, wrist = _xy(kp, f"{side}_elbow"), _xy(kp, f"{side}_wrist")
    return wrist + 0.3 * (wrist - elbow)


def _hands(kp, frame, size_wh):
    prompts = []
    for side in SIDES:
        if _has(kp, f"{side}_elbow", f"{side}_wrist"):
            centre = _hand_centre(kp, side)
            negatives = [_lerp(kp, f"{side}_elbow", f"{side}_wrist", 0.4)]
            box = [centre - 0.3 * frame.scale_px, centre + 0.3 * frame.scale_px]
            prompts.append(_prompt("hands", side, [centre], negatives, box, 0.0, size_wh))
    return prompts


def _feet(kp, frame, size_wh):
    prompts = []
    for side in SIDES:
        if _has(kp, f"{side}_knee", f"{side}_ankle"):
            centre = _xy(kp, f"{side}_ankle") + frame.down * 0.12 * frame.scale_px
            negatives = [_lerp(kp, f"{side}_knee", f"{side}_ankle", 0.5)]
            box = [centre - 0.25 * frame.scale_px, centre + 0.25 * frame.scale_px]
            prompts.append(_prompt("feet", side, [centre], negatives, box, 0.0, size_wh))
    return prompts


def _limbs(layer: str, chains, kp, frame, size_wh):
    prompts = []
    for side, chain in zip(SIDES, chains, strict=True):
        if _has(kp, *chain):
            positives = [_lerp(kp, chain[0], chain[1], 0.5), _lerp(kp, chain[1], chain[2], 0.5)]
            pad = BOX_PAD_REL * frame.scale_px * 0.6
            prompts.append(_prompt(layer, side, positives, [], _joints(kp, chain), pad, size_wh))
    return prompts


def _arms(kp, frame, size_wh):
    return _limbs("arms", regions.ARM_CHAINS, kp, frame, size_wh)


def _legs(kp, frame, size_wh):
    return _limbs("legs", regions.LEG_CHAINS, kp, frame, size_wh)


_BUILDERS = {
    "person": _person, "garment_upper": _upper, "garment_lower": _lower, "garment_dress": _dress,
    "face": _face, "hair": _hair, "hands": _hands, "feet": _feet, "arms": _arms, "legs": _legs,
}  # fmt: skip


def _torso_prior(kp: np.ndarray, frame: regions.BodyFrame) -> list[np.ndarray]:
    names = ("left_shoulder", "right_shoulder", "left_hip", "right_hip")
    if not _has(kp, *names):
        return []
    return [regions.hull([_xy(kp, name) for name in names])]


def _legs_prior(kp: np.ndarray, frame: regions.BodyFrame, width_rel: float = 0.5) -> list[np.ndarray]:
    return regions.limb_capsules(kp, regions.LEG_CHAINS, width_rel * frame.scale_px)


def _disc(centre: np.ndarray | None, radius_px: float) -> list[np.ndarray]:
    return [] if centre is None else [regions.capsule_polygon(centre, centre, radius_px)]


def _prior_upper(kp, frame):
    """Torso plus upper arms: halfway between a sleeveless top and a long-sleeved one."""
    upper_arms = tuple(chain[:2] for chain in regions.ARM_CHAINS)
    return _torso_prior(kp, frame) + regions.limb_capsules(kp, upper_arms, 0.3 * frame.scale_px)


def _prior_person(kp, frame):
    arms = regions.limb_capsules(kp, regions.ARM_CHAINS, 0.35 * frame.scale_px)
    head = _disc(_face_centre(kp), 0.4 * frame.scale_px)
    return _torso_prior(kp, frame) + arms + _legs_prior(kp, frame) + head


def _prior_lower(kp, frame):
    hips = [_xy(kp, n) for n in ("left_hip", "right_hip", "left_knee", "right_knee") if _has(kp, n)]
    return ([regions.hull(hips)] if len(hips) >= 3 else []) + _legs_prior(kp, frame)


def _prior_hands(kp, frame):
    return [
        polygon
        for side in SIDES
        if _has(kp, f"{side}_elbow", f"{side}_wrist")
        for polygon in _disc(_hand_centre(kp, side), 0.18 * frame.scale_px)
    ]


def _prior_feet(kp, frame):
    s = frame.scale_px
    return [
        polygon
        for side in SIDES
        if _has(kp, f"{side}_ankle")
        for polygon in _disc(_xy(kp, f"{side}_ankle") + frame.down * 0.12 * s, 0.15 * s)
    ]


def _prior_hair(kp, frame):
    centre, s = _face_centre(kp), frame.scale_px
    return _disc(None if centre is None else centre - frame.down * 0.3 * s, 0.35 * s)


_PRIORS = {
    "person": _prior_person,
    "garment_upper": _prior_upper,
    "garment_lower": _prior_lower,
    "garment_dress": lambda kp, frame: _prior_upper(kp, frame) + _prior_lower(kp, frame),
    "face": lambda kp, frame: _disc(_face_centre(kp), 0.25 * frame.scale_px),
    "hair": _prior_hair,
    "hands": _prior_hands,
    "feet": _prior_feet,
    "arms": lambda kp, frame: regions.limb_capsules(kp, regions.ARM_CHAINS, 0.3 * frame.scale_px),
    "legs": _legs_prior,
}
