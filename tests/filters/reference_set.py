"""Every reference-quality photo we have, in each category where its garment is visible.

The table below is the data of the false-rejection budget
(``tests/stages/test_quality_budget.py``): each shared photo and the
categories a person sorting a catalogue would file it under, judged by eye
(upper: a top is visible; lower: trousers, jeans, a skirt or shorts are
visible from the waist down at least to mid-thigh; dress: a one-piece dress).
Each photo also comes mirrored and re-cropped (``VARIANTS``): the same
reference, as a catalogue could just as well have published it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from tests.conftest import require_shared

REFERENCE_CATEGORIES: dict[str, tuple[str, ...]] = {
    "data/persons/01008_00.jpg": ("upper", "lower"),
    "data/persons/049205_0.jpg": ("upper", "lower"),
    "data/persons/051482_0.jpg": ("upper", "lower"),
    "data/persons/05997_00.jpg": ("upper", "lower"),
    "data/persons/model_1.png": ("upper", "lower"),
    "data/persons/model_2.png": ("upper", "lower"),
    "data/persons/model_3.png": ("upper", "lower"),
    "data/persons/model_4.png": ("upper", "lower"),
    "data/persons/model_6.png": ("upper",),
    "data/persons/model_9.png": ("upper", "dress"),
    "data/vitonhd-sample/datasets/test/image/00891_00.jpg": ("upper",),
    "data/vitonhd-sample/datasets/test/image/03615_00.jpg": ("upper",),
    "data/vitonhd-sample/datasets/test/image/07445_00.jpg": ("upper", "lower"),
    "data/vitonhd-sample/datasets/test/image/07573_00.jpg": ("upper",),
    "data/vitonhd-sample/datasets/test/image/08909_00.jpg": ("upper", "lower"),
    "data/vitonhd-sample/datasets/test/image/10549_00.jpg": ("upper",),
    "data/persons-catvton-flux/00008_00.jpg": ("upper",),
    "data/persons-catvton-flux/00057_00.jpg": ("upper",),
    "data/persons-catvton-flux/00064_00.jpg": ("upper",),
    "data/persons-catvton-flux/00067_00.jpg": ("upper",),
    "data/persons-catvton-flux/00069_00.jpg": ("upper", "lower"),
}
"""Shared photo (relative to VTONDATA_SHARED) -> categories where its garment is visible."""

KNOWN_REJECTIONS: dict[tuple[str, str, str], str] = {
    ("data/vitonhd-sample/datasets/test/image/00891_00.jpg", "mirrored", "upper"): "mask.missing_joints",
}
"""(photo, variant, category) -> the reason code it is rejected with today, for rejections that come from
stages before quality (here: MediaPipe does not find the left elbow of the mirrored photo). The budget
test fails when one of these is rejected for another reason or is accepted: remove the entry then."""

CATEGORIES = ("upper", "lower", "dress")


def mirrored(image: np.ndarray) -> np.ndarray:
    """Flipped left to right."""
    return cv2.flip(image, 1)


def recropped(image: np.ndarray) -> np.ndarray:
    """The central 90 % of the width and the rows from 2.5 % to 92.5 % of the height (3:4 kept)."""
    height, width = image.shape[:2]
    x0, y0 = round(0.05 * width), round(0.025 * height)
    return image[y0 : y0 + round(0.9 * height), x0 : x0 + round(0.9 * width)]


@dataclass(frozen=True)
class Variant:
    name: str
    make: Callable[[np.ndarray], np.ndarray] | None
    """``None``: the shared file itself, linked."""


VARIANTS = (Variant("original", None), Variant("mirrored", mirrored), Variant("recropped", recropped))


def reference_photos(category: str) -> list[str]:
    """The shared photos (relative paths) whose garment of ``category`` is visible."""
    return [relative for relative, categories in REFERENCE_CATEGORIES.items() if category in categories]


def write_reference_set(root: Path, category: str, variant: Variant) -> dict[str, str]:
    """Write ``variant`` of every reference photo of ``category`` under ``root``.

    One variant per folder: a re-cropped copy next to its original is a
    near-duplicate, rightly rejected, so each variant is its own dataset.
    Returns ``{file name under root: "<shared photo> (<variant>)"}`` for failure messages.
    """
    written: dict[str, str] = {}
    root.mkdir(parents=True, exist_ok=True)
    for relative in reference_photos(category):
        photo = require_shared(relative)
        stem = f"{photo.parent.name}-{photo.stem}"
        if variant.make is None:
            path = root / f"{stem}{photo.suffix}"
            path.symlink_to(photo)
        else:
            path = root / f"{stem}-{variant.name}.png"
            cv2.imwrite(str(path), variant.make(cv2.imread(str(photo), cv2.IMREAD_COLOR)))
        written[path.name] = f"{relative} ({variant.name})"
    return written
