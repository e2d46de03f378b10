"""One parse map for every backend: the evidence layers as a single-channel label image.

HR-VITON-style trainers and their condition generators read a human parse
map; so do people checking what the evidence said. Every recipe writes the
same ten labels (:data:`PARSE_LABELS`), whatever its backend's own layers:

- annotation backends (VITON-HD / DressCode parse maps) give garments, arms,
  legs and the neck, which count as skin, and shoes as feet;
- SAM2 gives garments, face, hair, hands, feet, arms and legs;
- the offline ``landmarks`` backend gives face, hair, skin (and
  ``limb_skin``, painted as skin), hands and feet but no garment: its
  garment labels are the silhouette's remainder, split into upper and lower
  garment where its ``above_waist`` layer says (colour models of the two
  garments, vtondata.geometry.evidence.waist), else at the hip line (all of
  it ``dress`` in a dress build). Bags and other held things land there
  too: the labels are evidence, not a garment segmentation.

Painting order, later wins: ``other`` (the silhouette), limbs as skin,
garments, visible skin, hair, feet, hands, face.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from vtondata.geometry import regions
from vtondata.geometry.keypoints import J
from vtondata.sample import Category

PARSE_LABELS: dict[int, str] = {
    0: "background",
    1: "hair",
    2: "face",
    3: "skin",
    4: "upper_garment",
    5: "lower_garment",
    6: "dress",
    7: "hands",
    8: "feet",
    9: "other",
}
"""Label id -> name, as written to ``parse.png``."""
LABEL_ID = {name: label for label, name in PARSE_LABELS.items()}

_GARMENT_LAYERS = {
    "garment_upper": "upper_garment",
    "garment_lower": "lower_garment",
    "garment_dress": "dress",
}
_LIMB_LAYERS = ("arms", "legs", "neck")
_ON_TOP = ("skin", "limb_skin", "hair", "feet", "hands", "face")
_LABEL_OF_LAYER = {"limb_skin": "skin"}


def parse_map(
    layers: Mapping[str, np.ndarray], keypoints_px: np.ndarray, category: Category | str
) -> np.ndarray | None:
    """``HxW`` uint8 label ids of :data:`PARSE_LABELS`, or ``None`` without a ``person`` layer.

    ``keypoints_px`` (canonical ``(19, 3)``, untrusted joints at confidence
    0) places the hip line that splits a garment-less silhouette.
    """
    person = layers.get("person")
    if person is None:
        return None
    person = np.asarray(person, dtype=bool)
    labels = np.where(person, np.uint8(LABEL_ID["other"]), np.uint8(LABEL_ID["background"]))
    for name in _LIMB_LAYERS:
        if name in layers:
            _paint(labels, layers[name], "skin")
    garments = {name: layer for name, layer in layers.items() if name in _GARMENT_LAYERS}
    if garments:
        for name, layer in garments.items():
            _paint(labels, layer, _GARMENT_LAYERS[name])
    else:
        _paint_remainder(labels, layers, keypoints_px, Category(category))
    for name in _ON_TOP:
        if name in layers:
            _paint(labels, layers[name], _LABEL_OF_LAYER.get(name, name))
    return labels


def garment_remainder(layers: Mapping[str, np.ndarray]) -> np.ndarray:
    """``HxW`` bool: the ``person`` layer less every body-part layer painted over the garments (skin,
    hair, feet, hands, face): where a backend without garment layers has its garments."""
    remainder = np.array(layers["person"], dtype=bool, copy=True)
    for name in _ON_TOP:
        if name in layers:
            remainder &= ~np.asarray(layers[name], dtype=bool)
    return remainder


def hips_trusted(keypoints_px: np.ndarray) -> bool:
    """Whether both hips of canonical ``(19, 3)`` keypoints (untrusted at confidence 0) are placed."""
    return bool(keypoints_px[J["left_hip"], 2] > 0 and keypoints_px[J["right_hip"], 2] > 0)


def _paint(labels: np.ndarray, where: np.ndarray, label: str) -> None:
    np.copyto(labels, np.uint8(LABEL_ID[label]), where=np.asarray(where, dtype=bool))


def _paint_remainder(
    labels: np.ndarray,
    layers: Mapping[str, np.ndarray],
    keypoints_px: np.ndarray,
    category: Category,
) -> None:
    """Label the silhouette left after the body-part layers as garment, split at the waist (the
    ``above_waist`` layer) or else at the hip line."""
    remainder = garment_remainder(layers)
    if category is Category.DRESS:
        _paint(labels, remainder, "dress")
        return
    hips_seen = hips_trusted(keypoints_px)
    try:
        frame = regions.body_frame(keypoints_px)
    except ValueError:
        hips_seen = False
    if not hips_seen:
        _paint(labels, remainder, "upper_garment" if category is Category.UPPER else "lower_garment")
        return
    if "above_waist" in layers:
        upper = np.asarray(layers["above_waist"], dtype=bool)
    else:
        size_wh = (remainder.shape[1], remainder.shape[0])
        above_hips = regions.band_polygon(
            frame, -2.0 * sum(size_wh), regions.mid_hip_along(keypoints_px, frame), size_wh
        )
        upper = regions.fill_polygons(remainder.shape, [above_hips])
    _paint(labels, remainder & upper, "upper_garment")
    _paint(labels, remainder & ~upper, "lower_garment")
