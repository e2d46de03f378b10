"""The defect corpus: each shared real photo, clean and with one known defect per variant.

Every corruption keeps the 3:4 aspect of the originals unless the defect is
the size itself, so each variant fails for its own reason and not for a side
effect. Files are written under ``clean/`` and ``corrupt/`` so that sorting
puts every original before its near-duplicate copies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from tests.photos import real_photos

Corruption = Callable[[np.ndarray, np.ndarray], np.ndarray]
BLIND = ("pose.no_person", "mask.missing_joints")
"""A badly exposed photo often leaves the pose model blind; it is then rejected before the quality stage."""


def blur(image: np.ndarray, _other: np.ndarray) -> np.ndarray:
    """Gaussian blur with sigma 0.4 % of the height: the look of a missed focus or a small photo upscaled."""
    sigma = 0.004 * image.shape[0]
    return cv2.GaussianBlur(image, (0, 0), sigma)


def overexposed(image: np.ndarray, _other: np.ndarray) -> np.ndarray:
    """One stop over: values doubled, clipped."""
    return np.clip(image.astype(np.float32) * 2.0, 0, 255).astype(np.uint8)


def underexposed(image: np.ndarray, _other: np.ndarray) -> np.ndarray:
    """About 2.6 stops under: values divided by 6."""
    return (image.astype(np.float32) / 6.0).astype(np.uint8)


def cut_off(image: np.ndarray, _other: np.ndarray) -> np.ndarray:
    """The frame's bottom edge cuts the person at 35 % of their height (the chest): the photo moves down
    over its own backdrop colour. Size, sharpness and exposure stay those of the original."""
    height = image.shape[0]
    backdrop = np.median(image[:8].reshape(-1, 3), axis=0)
    foreground = np.abs(image.astype(np.float32) - backdrop).max(axis=2) > 40
    rows = np.flatnonzero(foreground.mean(axis=1) > 0.02)
    cut = int(rows[0] + 0.35 * (rows[-1] - rows[0]))
    shift = height - cut
    out = np.empty_like(image)
    out[:] = backdrop.astype(np.uint8)
    out[shift:] = image[:cut]
    return out


def two_people(image: np.ndarray, other: np.ndarray) -> np.ndarray:
    """This person and another, each the central half of their photo, side by side at the same size."""
    height, width = image.shape[:2]
    other = cv2.resize(other, (width, height), interpolation=cv2.INTER_AREA)
    quarter = width // 4
    pair = np.hstack([image[:, quarter : quarter + width // 2], other[:, quarter : quarter + width // 2]])
    return cv2.resize(pair, (width, height), interpolation=cv2.INTER_AREA)


def tiny(image: np.ndarray, _other: np.ndarray) -> np.ndarray:
    """288x384: over ingest's minimum size, far under any try-on dataset's resolution."""
    return cv2.resize(image, (288, 384), interpolation=cv2.INTER_AREA)


def tiny_person(image: np.ndarray, _other: np.ndarray) -> np.ndarray:
    """The photo shrunk to 30 % of its size in the middle of a canvas of its own border colour."""
    height, width = image.shape[:2]
    border = np.concatenate(
        [image[:8].reshape(-1, 3), image[:, :8].reshape(-1, 3), image[:, -8:].reshape(-1, 3)]
    )
    canvas = np.empty_like(image)
    canvas[:] = np.median(border, axis=0).astype(np.uint8)
    small = cv2.resize(image, (round(0.3 * width), round(0.3 * height)), interpolation=cv2.INTER_AREA)
    y0, x0 = (height - small.shape[0]) // 2, (width - small.shape[1]) // 2
    canvas[y0 : y0 + small.shape[0], x0 : x0 + small.shape[1]] = small
    return canvas


def noisy(image: np.ndarray, _other: np.ndarray) -> np.ndarray:
    """Gaussian noise of deviation 20 grey levels, the same seed for every photo."""
    noise = np.random.default_rng(0).normal(0.0, 20.0, image.shape)
    return np.clip(image.astype(np.float32) + noise, 0, 255).astype(np.uint8)


def unchanged(image: np.ndarray, _other: np.ndarray) -> np.ndarray:
    """The photo as it is; the defect is the encoding (JPEG quality 8: 8x8 blocks)."""
    return image


def near_duplicate(image: np.ndarray, _other: np.ndarray) -> np.ndarray:
    """A worse copy: resized to 70 %, slightly blurred (and re-encoded as JPEG quality 80)."""
    small = cv2.resize(image, None, fx=0.7, fy=0.7, interpolation=cv2.INTER_AREA)
    return cv2.GaussianBlur(small, (0, 0), 1.0)


def darker(image: np.ndarray, _other: np.ndarray) -> np.ndarray:
    """Two thirds of a stop darker (values x 0.6): a copy that still looks usable."""
    return (image.astype(np.float32) * 0.6).astype(np.uint8)


DUPLICATE_COPIES = (near_duplicate, blur, darker)
"""Worse copies of a photo that near-duplicate grouping must recognise and reject in favour of it."""


@dataclass(frozen=True)
class Variant:
    """A corruption and the rejection codes that count as catching it."""

    name: str
    make: Corruption
    expected: tuple[str, ...]
    jpeg_quality: int = 80


VARIANTS = (
    Variant("blur", blur, ("quality.image_min_sharpness",)),
    Variant(
        "overexposed",
        overexposed,
        (
            "quality.image_max_brightness",
            "quality.image_min_contrast",
            "quality.image_max_clipped_fraction",
            *BLIND,
        ),
    ),
    Variant(
        "underexposed",
        underexposed,
        (
            "quality.image_min_brightness",
            "quality.image_min_contrast",
            "quality.image_max_clipped_fraction",
            *BLIND,
        ),
    ),
    Variant(
        "cutoff",
        cut_off,
        ("mask.missing_joints", "quality.pose_min_body_in_frame", "quality.pose_min_framing_margin"),
    ),
    Variant(
        "twopeople",
        two_people,
        (
            "pose.multiple_people",
            "quality.pose_max_num_people",
            "quality.segment_max_person_components",
            "quality.segment_max_outside_foreground",
        ),
    ),
    Variant("tiny", tiny, ("quality.image_min_orig_width_px", "quality.image_min_orig_height_px")),
    Variant("tinyperson", tiny_person, ("quality.segment_min_person_area_ratio",)),
    Variant("blocky", unchanged, ("quality.image_max_blockiness",), jpeg_quality=8),
    Variant("noisy", noisy, ("quality.image_max_noise_sigma",), jpeg_quality=95),
    Variant("nearduplicate", near_duplicate, ("quality.near_duplicate",)),
)
"""Expected codes ending in ``_`` match any code of that family."""


def matches(code: str | None, expected: tuple[str, ...]) -> bool:
    """Whether a rejection code is one of the expected ones (a prefix ending in ``_`` matches a family)."""
    return code is not None and any(code == e or (e.endswith("_") and code.startswith(e)) for e in expected)


def write_corrupted_set(
    root: Path, variants: tuple[Variant, ...] = VARIANTS, photos: list[Path] | None = None
) -> dict[str, str | None]:
    """Write clean copies and the ``variants`` of ``photos`` (default: all shared real photos) under ``root``.

    Every variant of a photo is also a near-duplicate of it (blur and exposure
    keep the perceptual hash), so a set meant to test the other filters is
    built with the duplicates filter off.

    Returns ``{relative path: variant name}``, ``None`` for the clean originals.
    The "other" person of ``two_people`` is the next photo in the list.
    """
    photos = photos or real_photos()
    images = [cv2.imread(str(photo), cv2.IMREAD_COLOR) for photo in photos]
    written: dict[str, str | None] = {}
    for number, (photo, image) in enumerate(zip(photos, images, strict=True)):
        stem = f"{photo.parent.name}-{photo.stem}"
        clean = root / "clean" / f"{stem}{photo.suffix}"
        clean.parent.mkdir(parents=True, exist_ok=True)
        clean.symlink_to(photo)
        written[clean.relative_to(root).as_posix()] = None
        other = images[(number + 1) % len(images)]
        for variant in variants:
            path = root / "corrupt" / variant.name / f"{stem}.jpg"
            path.parent.mkdir(parents=True, exist_ok=True)
            image_out = variant.make(image, other)
            cv2.imwrite(str(path), image_out, [cv2.IMWRITE_JPEG_QUALITY, variant.jpeg_quality])
            written[path.relative_to(root).as_posix()] = variant.name
    return written
