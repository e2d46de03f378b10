"""The old garment's visible form, read from a dataset's own ``parse.png`` rather than ground truth.

``vtondata eval-masks`` reads the form from an annotated parse map, whose
labels say ``skirt`` or ``pants`` and ``arms``. A built dataset has only the
ten labels of :data:`vtondata.geometry.parse_map.PARSE_LABELS`: ``skin``
for any visible skin and one ``lower_garment``. So here:

- arm skin and leg skin are the ``skin`` pixels inside capsules along the
  arm and leg joint chains (:data:`LIMB_ZONE_WIDTH_REL` x s wide), so the
  neck or a bare leg is not taken for an arm;
- sleeves: the forearm-skin rule of :func:`vtondata.evaluate.forms.sleeve_form`;
- skirt versus trousers, at levels down both legs where the legs stand at
  least :data:`MIN_LEG_GAP_REL` x s apart: trousers are two tubes, so a level
  where both leg lines are garment and the middle between them is not shows
  trousers. A skirt is one tube, so its middle is covered; but so is the
  middle of wide trousers whose legs touch, so a covered middle counts for a
  skirt only with a hem: a lower level where both legs show skin. A long skirt
  or a wide trouser with no gap, legs together, bare legs or a hem above the
  first level: the form cannot be told.

"Cannot be told" is ``None``, never a guess: form leakage counts only
labelled samples.
"""

from __future__ import annotations

import numpy as np

from vtondata.evaluate import forms
from vtondata.geometry import regions
from vtondata.geometry.keypoints import J
from vtondata.geometry.parse_map import LABEL_ID
from vtondata.sample import Category

LIMB_ZONE_WIDTH_REL = 0.8
"""Width of the capsules that count ``skin`` as arm or leg skin, x s (a limb is about 0.3-0.5 s wide)."""
MIN_LEG_GAP_REL = 0.35
"""Legs closer than this x s at a level (ankle to ankle, knee to knee) cannot show the gap trousers leave."""
LEG_LEVELS = np.arange(0.35, 1.0, 0.05)
"""Levels down the leg, 0 at the hips, 0.5 at the knees, 1 at the ankles. They start 70 % down the
thigh: a trouser crotch often hangs well below the hip joints, and the silhouette is closed above it."""
GAP_SAMPLES = np.linspace(0.4, 0.6, 5)
"""Where between the two leg lines the middle is sampled (0 left leg, 1 right leg)."""
COVERED_SHARE = 0.8
"""The middle is covered when this share of it is garment, clear when at most 1 - this."""

_GARMENT_IDS = (LABEL_ID["lower_garment"], LABEL_ID["dress"])


def limb_layers(
    parse: np.ndarray, keypoints_px: np.ndarray, min_confidence: float = 0.2
) -> dict[str, np.ndarray]:
    """``arms``, ``legs``, ``hands`` and ``feet`` (``HxW`` bool) from a parse map, as eval-masks' layers."""
    parse = np.asarray(parse)
    kp = _trusted(keypoints_px, min_confidence)
    skin = parse == LABEL_ID["skin"]
    try:
        width_px = LIMB_ZONE_WIDTH_REL * regions.body_frame(kp).scale_px
    except ValueError:
        width_px = 0.0
    layers = {"hands": parse == LABEL_ID["hands"], "feet": parse == LABEL_ID["feet"]}
    for name, chains in (("arms", regions.ARM_CHAINS), ("legs", regions.LEG_CHAINS)):
        capsules = regions.limb_capsules(kp, chains, width_px) if width_px > 0 else []
        layers[name] = (
            skin & regions.fill_polygons(parse.shape, capsules) if capsules else np.zeros_like(skin)
        )
    return layers


def visible_form(
    parse: np.ndarray, keypoints_px: np.ndarray, category: Category | str, min_confidence: float = 0.2
) -> str | None:
    """The old garment's form (as in :data:`vtondata.evaluate.forms.FORMS`), ``None`` if it cannot be told."""
    category = Category(category)
    if category is Category.UPPER:
        return forms.sleeve_form(
            limb_layers(parse, keypoints_px, min_confidence)["arms"], keypoints_px, min_confidence
        )
    if category is Category.LOWER:
        return skirt_or_pants(parse, keypoints_px, min_confidence)
    return None


def skirt_or_pants(parse: np.ndarray, keypoints_px: np.ndarray, min_confidence: float = 0.2) -> str | None:
    """``skirt`` or ``pants`` by the gap between the legs and the hem (module docstring), or ``None``."""
    parse = np.asarray(parse)
    kp = _trusted(keypoints_px, min_confidence)
    try:
        scale_px = regions.body_frame(kp).scale_px
    except ValueError:
        return None
    left, right = _leg_line(kp, "left"), _leg_line(kp, "right")
    if left is None or right is None:
        return None
    garment = np.isin(parse, _GARMENT_IDS)
    skin = parse == LABEL_ID["skin"]
    seen = [
        _level(garment, skin, a, b, scale_px)
        for a, b in ((_point_on(left, level), _point_on(right, level)) for level in LEG_LEVELS)
        if a is not None and b is not None
    ]
    gap = "gap" in seen
    hem = "covered" in seen and "bare" in seen[seen.index("covered") :]
    if gap == hem:
        return None
    return "pants" if gap else "skirt"


def _level(
    garment: np.ndarray, skin: np.ndarray, a: np.ndarray, b: np.ndarray, scale_px: float
) -> str | None:
    """What the level between leg points ``a`` and ``b`` shows: ``gap``, ``covered``, ``bare`` or ``None``."""
    if np.hypot(*(b - a)) < MIN_LEG_GAP_REL * scale_px:
        return None
    if _at(skin, a) and _at(skin, b):
        return "bare"
    if not (_at(garment, a) and _at(garment, b)):
        return None
    middle = np.mean([_at(garment, a + share * (b - a)) for share in GAP_SAMPLES])
    if middle >= COVERED_SHARE:
        return "covered"
    return "gap" if middle <= 1.0 - COVERED_SHARE else None


def _trusted(keypoints_px: np.ndarray, min_confidence: float) -> np.ndarray:
    kp = np.array(keypoints_px, dtype=np.float32, copy=True)
    kp[kp[:, 2] <= min_confidence, 2] = 0.0
    return kp


def _leg_line(kp: np.ndarray, side: str) -> list[np.ndarray] | None:
    """Hip, knee and (when trusted) ankle of one leg, ``(x, y)`` each; ``None`` without hip and knee."""
    joints = [kp[J[f"{side}_{name}"]] for name in ("hip", "knee", "ankle")]
    if joints[0][2] <= 0 or joints[1][2] <= 0:
        return None
    return [joint[:2].astype(np.float64) for joint in joints if joint[2] > 0]


def _point_on(line: list[np.ndarray], level: float) -> np.ndarray | None:
    """The point at ``level`` (0 hip, 0.5 knee, 1 ankle) of a leg line; ``None`` past its last joint."""
    segment, fraction = (0, level / 0.5) if level <= 0.5 else (1, (level - 0.5) / 0.5)
    if segment + 1 >= len(line):
        return None
    return line[segment] + fraction * (line[segment + 1] - line[segment])


def _at(layer: np.ndarray, point_xy: np.ndarray) -> bool:
    x, y = round(float(point_xy[0])), round(float(point_xy[1]))
    return 0 <= y < layer.shape[0] and 0 <= x < layer.shape[1] and bool(layer[y, x])
