"""Human-parsing label maps (LIP/CIHP, ATR, DressCode) as the named layers the mask consumes.

Existing try-on datasets ship a per-pixel class map per person image. Each
scheme numbers its classes differently; this module holds the tables as data
and turns any map into the same boolean layers (``person``, ``face``,
``garment_upper``, ...), so masks built from annotations and masks built from
models meet in one vocabulary.

Scheme notes, checked against the files the datasets ship:

- ``lip``: the 20 LIP classes as VITON-HD's ``image-parse`` / ``image-parse-v3``
  PNGs use them. VITON-HD re-purposes id 10 (``jumpsuits`` in LIP) for the
  neck: in the VITON-HD test PNGs id 10 is a 4.7k-8.4k pixel patch between the
  face (13) and the upper clothes (5) in every image, while none of those
  people wears a jumpsuit. So ``lip`` reads 10 as ``neck``.
- ``cihp``: the same 20 classes with id 10 read as LIP/CIHP define it
  (``jumpsuits``), for parse maps produced by a LIP/CIHP model directly.
- ``atr``: the 18 ATR classes.
- ``dresscode``: DressCode ``label_maps`` (the ATR numbering, with id 11
  called ``head``: the face without the hair, which has its own id 2).

Layer policy: every class feeds at most one layer (``person`` aside), so the
layers are disjoint wherever the label map is. Coats count as upper garments;
jumpsuits count as ``garment_dress`` (one piece from shoulders to legs, which
is what the dress mask covers); socks count as ``feet``; gloves, sunglasses,
scarves, belts and bags count as ``accessories``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

_LIP_CLASSES = {
    0: "background",
    1: "hat",
    2: "hair",
    3: "glove",
    4: "sunglasses",
    5: "upper_clothes",
    6: "dress",
    7: "coat",
    8: "socks",
    9: "pants",
    10: "neck",
    11: "scarf",
    12: "skirt",
    13: "face",
    14: "left_arm",
    15: "right_arm",
    16: "left_leg",
    17: "right_leg",
    18: "left_shoe",
    19: "right_shoe",
}

_ATR_CLASSES = {
    0: "background",
    1: "hat",
    2: "hair",
    3: "sunglasses",
    4: "upper_clothes",
    5: "skirt",
    6: "pants",
    7: "dress",
    8: "belt",
    9: "left_shoe",
    10: "right_shoe",
    11: "face",
    12: "left_leg",
    13: "right_leg",
    14: "left_arm",
    15: "right_arm",
    16: "bag",
    17: "scarf",
}

LABEL_SCHEMES: dict[str, dict[int, str]] = {
    "lip": _LIP_CLASSES,
    "cihp": {**_LIP_CLASSES, 10: "jumpsuits"},
    "atr": _ATR_CLASSES,
    "dresscode": {**_ATR_CLASSES, 11: "head"},
}
"""Label id -> class name, per scheme."""

_LAYER_OF_CLASS = {
    "hat": "hat",
    "hair": "hair",
    "face": "face",
    "head": "face",
    "neck": "neck",
    "upper_clothes": "garment_upper",
    "coat": "garment_upper",
    "pants": "garment_lower",
    "skirt": "garment_lower",
    "dress": "garment_dress",
    "jumpsuits": "garment_dress",
    "left_arm": "arms",
    "right_arm": "arms",
    "left_leg": "legs",
    "right_leg": "legs",
    "left_shoe": "feet",
    "right_shoe": "feet",
    "socks": "feet",
    "glove": "accessories",
    "sunglasses": "accessories",
    "scarf": "accessories",
    "belt": "accessories",
    "bag": "accessories",
}
"""Class name -> layer name; ``background`` feeds no layer."""


def layer_names(scheme: str) -> tuple[str, ...]:
    """Layers ``parse_layers`` returns for ``scheme``: ``person`` first, then sorted names."""
    classes = _classes(scheme)
    return ("person", *sorted({_LAYER_OF_CLASS[c] for c in classes.values() if c != "background"}))


def parse_layers(label_map: np.ndarray, scheme: str) -> dict[str, np.ndarray]:
    """Boolean ``HxW`` layers of a ``HxW`` integer label map read with ``scheme``'s table.

    ``person`` is every labelled pixel; the other layers follow the module's
    layer policy and are disjoint. Every name of ``layer_names(scheme)`` is
    present (all False when the image has none of its classes); ``neck``
    exists only for ``lip``. Ids outside the table raise ``ValueError``:
    they mean the wrong scheme was chosen.
    """
    labels = np.asarray(label_map)
    if labels.ndim != 2:
        raise ValueError(f"label map must be HxW, got shape {labels.shape}")
    classes = _classes(scheme)
    unknown = sorted(set(np.unique(labels).tolist()) - set(classes))
    if unknown:
        raise ValueError(f"label ids {unknown} are not in the {scheme!r} scheme")
    layers = {name: np.zeros(labels.shape, dtype=bool) for name in layer_names(scheme)}
    layers["person"] = labels != 0
    for label_id, class_name in classes.items():
        if class_name != "background":
            layers[_LAYER_OF_CLASS[class_name]] |= labels == label_id
    return layers


def read_label_map(path: str | Path) -> np.ndarray:
    """``HxW`` uint8 label ids from a palette (``P``) or greyscale (``L``/``I``) PNG.

    Palette PNGs store the id as the palette index; their RGB colours are a
    rendering and are not read. Colour (RGB) parse images carry no ids and
    raise ``ValueError``.
    """
    with Image.open(path) as image:
        if image.mode in ("P", "L"):
            return np.array(image, dtype=np.uint8)
        if image.mode in ("I", "I;16"):
            values = np.array(image)
            if values.min() < 0 or values.max() > 255:
                raise ValueError(f"{path}: label ids outside 0..255")
            return values.astype(np.uint8)
        raise ValueError(f"{path}: mode {image.mode} carries no label ids (expected a P or L PNG)")


def _classes(scheme: str) -> dict[int, str]:
    try:
        return LABEL_SCHEMES[scheme]
    except KeyError:
        raise ValueError(f"unknown label scheme {scheme!r}; known: {', '.join(LABEL_SCHEMES)}") from None
