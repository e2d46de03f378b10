"""Raw folders of real photos for end-to-end tests, assembled in tmp folders.

Shared images are linked, never copied into the repository. ``mirrored``
adds horizontally flipped copies (different bytes, still real people) when a
test needs more inputs than the shared folders hold.
"""

from __future__ import annotations

from pathlib import Path

import cv2

from tests.conftest import require_shared

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
