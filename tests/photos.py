"""Raw folders of real photos for end-to-end tests, assembled in tmp folders.

Shared images are linked, never copied into the repository. ``mirrored``
adds horizontally flipped copies (different bytes, still real people) when a
test needs more inputs than the shared folders hold.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from tests.conftest import require_shared
from vtondata.geometry.keypoints import J

PERSONS = "data/persons"
VITONHD_IMAGES = "data/vitonhd-sample/datasets/test/image"


def real_photos() -> list[Path]:
    """The 10 shared person photos and the 6 VITON-HD sample photos, sorted."""
    photos = []
    for folder in (PERSONS, VITONHD_IMAGES):
        root = require_shared(folder)
        photos += sorted(p for p in root.iterdir() if p.suffix.lower() in {".jpg", ".png"})
    return photos


def link_photos(target: Path, photos: list[Path], *, mirrored: bool = False) -> Path:
    """Populate ``target`` with links to ``photos`` (plus flipped copies when ``mirrored``)."""
    target.mkdir(parents=True, exist_ok=True)
    for photo in photos:
        (target / f"{photo.parent.name}-{photo.name}").symlink_to(photo)
        if mirrored:
            flipped = cv2.flip(cv2.imread(str(photo)), 1)
            cv2.imwrite(str(target / f"{photo.parent.name}-flipped-{photo.stem}.png"), flipped)
    return target


def framed_3_4(
    image: np.ndarray, labels: np.ndarray, keypoints: np.ndarray, top: int
) -> tuple[np.ndarray, np.ndarray]:
    """``image`` and its label map cut by the top edge at row ``top``, then at the sides to 3:4 about
    the shoulders' centre (from ``keypoints``, canonical ``(19, 3)``): a catalogue photo framed at
    the face, which ingest scales with no letterbox bar above the cut."""
    width = round(0.75 * (image.shape[0] - top))
    centre = float(keypoints[[J["left_shoulder"], J["right_shoulder"]], 0].mean())
    left = int(np.clip(round(centre - width / 2), 0, image.shape[1] - width))
    return image[top:, left : left + width], labels[top:, left : left + width]
