"""Benchmark inputs: N distinct real photos made from the shared ones.

Each variant is a shared photo flipped and/or shifted by a few pixels, so every
file has its own bytes (no duplicate rejections) while staying a real person.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

SHARED = Path(os.environ.get("VTONDATA_SHARED", Path(__file__).resolve().parents[2] / "shared"))
SOURCES = ("data/persons", "data/vitonhd-sample/datasets/test/image")


def shared_photos() -> list[Path]:
    photos: list[Path] = []
    for folder in SOURCES:
        photos += sorted(p for p in (SHARED / folder).iterdir() if p.suffix.lower() in {".jpg", ".png"})
    if not photos:
        raise SystemExit(f"no shared photos under {SHARED}; set VTONDATA_SHARED")
    return photos


def make_inputs(folder: Path, count: int) -> Path:
    """Write ``count`` distinct 768x1024 JPEG variants of the shared photos into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    photos = shared_photos()
    images = [cv2.imread(str(p)) for p in photos]
    for i in range(count):
        image = images[i % len(images)]
        variant = i // len(images)
        if variant % 2:
            image = cv2.flip(image, 1)
        shift = np.float32([[1, 0, (variant // 2) * 3], [0, 1, 0]])
        image = cv2.warpAffine(
            image, shift, (image.shape[1], image.shape[0]), borderMode=cv2.BORDER_REPLICATE
        )
        cv2.imwrite(str(folder / f"{i:05d}.jpg"), image, [cv2.IMWRITE_JPEG_QUALITY, 95])
    return folder
