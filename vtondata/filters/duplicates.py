"""Duplicates family: near-duplicate photos by a 64-bit perceptual hash (DCT hash) of the person crop.

Byte-identical files are caught by the scan's content hash; a re-encoded,
resized, blurred or re-exposed copy is not. The hash keeps the signs of the
8x8 lowest DCT frequencies of a 32x32 grey thumbnail against their median, so
re-encoding or rescaling flips few bits while a different photo differs in
about half. It is taken on the *person crop* (the box of the pixels that
differ from the backdrop colour of the photo's border), not on the whole
frame: two people in the same pose on the same studio backdrop share most of
a whole-frame thumbnail, but not the crop.

Decided at scan time over all inputs, so the verdict does not depend on
chunks or workers. Of each group of photos closer than the threshold, the
*best* is kept: the most pixels, then the highest :func:`photo_score` (the
blurred, darkened, washed-out, noisy or blocky copy loses), then the first by
path; the others are rejected ``quality.near_duplicate`` naming the kept one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageOps

from vtondata.config.ingest import IngestConfig
from vtondata.filters import signal
from vtondata.ingest.decode import open_bounded
from vtondata.ingest.files import read_input
from vtondata.sample import Rejection

HASH_BITS = 64
THUMBNAIL_HEIGHT_PX = 256
"""Photos are decoded at about this height to find the person and hash it (JPEG draft mode: fast)."""
BACKDROP_SHARE = 0.2
"""A pixel is foreground when its largest channel difference from the border colour exceeds this share of
the photo's 99th-percentile difference (relative, so a darkened copy gives the same crop)."""
LINE_SHARE = 0.02
"""A row belongs to the crop when more than this share of it is foreground: stray pixels do not count."""
MIN_CROP_SHARE = 0.1
"""A crop shorter than this share of the frame's height is not trusted: the whole frame is used."""
CROP_ASPECT = 0.6
"""Width of the crop over its height: a standing person with arms at the sides, and some margin."""
SCORE_HEIGHT_PX = 512
""":func:`photo_score` reads sharpness on the person crop at most this tall, as the image filter does."""
NOISE_COST = 0.04
"""Score lost per grey level of noise deviation: noise of deviation 5 costs more than it can add."""
BLOCK_COST = 0.2
"""Score lost per unit of blockiness above 1 (a JPEG at quality 8 is about 3)."""


@dataclass(frozen=True)
class Fingerprint:
    """What near-duplicate grouping needs to know of one photo."""

    hash64: int
    pixels: int
    """Width x height of the original."""


@dataclass(frozen=True)
class NearDuplicate:
    """The photo kept in this photo's group and the Hamming distance to it."""

    kept_index: int
    distance: int


def fingerprint(source: str | bytes, limits: IngestConfig | None = None) -> Fingerprint | None:
    """The photo's fingerprint, or ``None`` when it cannot be decoded (ingest says why later).

    ``source`` is the photo's path or URL, or its bytes as ingest's bounded
    reader already returned them (the scan hashes and fingerprints one read).
    The photo goes through ingest's bounded reader and decoder with ``limits``
    (default: the default ingest section): only the accepted formats, at most
    ``max_file_bytes`` and ``max_pixels``, so hashing is no way around them.
    """
    opened = _open_bounded(source, limits, draft=("RGB", (THUMBNAIL_HEIGHT_PX, THUMBNAIL_HEIGHT_PX)))
    if opened is None:
        return None
    try:
        with opened as image:
            width, height = image.info["header_size_wh"]
            pixels = width * height
            upright = ImageOps.exif_transpose(image)
            scale = THUMBNAIL_HEIGHT_PX / upright.height
            size = (max(8, round(upright.width * scale)), THUMBNAIL_HEIGHT_PX)
            rgb = np.asarray(upright.convert("RGB").resize(size, Image.Resampling.BOX))
    except (OSError, ValueError):
        return None
    grey = cv2.cvtColor(person_crop(rgb), cv2.COLOR_RGB2GRAY)
    small = cv2.resize(grey, (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32)
    coefficients = cv2.dct(small)[:8, :8].flatten()
    bits = coefficients > np.median(coefficients[1:])
    return Fingerprint(int(np.packbits(bits).view(">u8")[0]), pixels)


def perceptual_hash(path: str, limits: IngestConfig | None = None) -> int | None:
    """The DCT hash of the photo's person crop, ``None`` when the file cannot be decoded."""
    found = fingerprint(path, limits)
    return found.hash64 if found else None


def photo_score(path: str, limits: IngestConfig | None = None) -> float:
    """How much of the photo's information its person crop keeps, to choose among near-duplicates of one size.

    The sharpness of the crop (contrast-free, :func:`signal.sharpness`)
    times the entropy of its grey histogram in bytes (0-1), less penalties for
    noise (which looks sharp and adds entropy) and JPEG blocks. A tone change
    (darker, brighter, clipped) maps grey levels onto fewer levels, and no
    such mapping can raise a histogram's entropy; blurring lowers sharpness.
    So of a photo and its blurred, darkened, over-exposed, noisy or blocky
    copy, the photo scores higher. Decodes the whole photo, so scan computes
    it only for photos that have a near-duplicate; ``-inf`` when the file
    cannot be decoded.
    """
    opened = _open_bounded(path, limits)
    if opened is None:
        return float("-inf")
    try:
        with opened as image:
            rgb = np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
    except (OSError, ValueError):
        return float("-inf")
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    crop = cv2.cvtColor(person_crop(rgb), cv2.COLOR_RGB2GRAY)
    factor = min(1.0, SCORE_HEIGHT_PX / crop.shape[0])
    view = crop if factor >= 1 else cv2.resize(crop, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    shares = np.bincount(crop.ravel(), minlength=256) / crop.size
    entropy_bytes = -float(np.sum(shares[shares > 0] * np.log2(shares[shares > 0]))) / 8.0
    blocks = max(0.0, signal.blockiness(grey) - 1.0)
    return (
        signal.sharpness(view) * entropy_bytes - NOISE_COST * signal.noise_sigma(grey) - BLOCK_COST * blocks
    )


def person_crop(rgb: np.ndarray) -> np.ndarray:
    """``rgb`` cut to the person: the rows where the photo differs from its backdrop (the median colour of
    its border), and a band ``CROP_ASPECT`` times as wide centred on the median foreground column.

    The width follows from the height rather than from the widest foreground
    column, because the sides of a studio photo (light fall-off, shadows) sit
    near any threshold and would make the box jump between two copies.
    """
    height, width = rgb.shape[:2]
    band = max(1, height // 50)
    edges = (rgb[:band], rgb[-band:], rgb[:, :band], rgb[:, -band:])
    backdrop = np.median(np.concatenate([edge.reshape(-1, 3) for edge in edges]), axis=0)
    difference = np.abs(rgb.astype(np.float32) - backdrop.astype(np.float32)).max(axis=2)
    foreground = difference > BACKDROP_SHARE * max(float(np.percentile(difference, 99)), 1.0)
    ys = np.flatnonzero(foreground.mean(axis=1) > LINE_SHARE)
    if len(ys) < MIN_CROP_SHARE * height:
        return rgb
    y0, y1 = ys[0], ys[-1] + 1
    centre = float(np.median(np.nonzero(foreground[y0:y1])[1]))
    half = min(width, round(CROP_ASPECT * (y1 - y0))) / 2
    x0 = int(np.clip(round(centre - half), 0, width - 2 * half))
    return rgb[y0:y1, x0 : x0 + int(2 * half)]


def keep_best(
    prints: list[Fingerprint | None], min_distance: float | None, score: Callable[[int], float]
) -> tuple[list[NearDuplicate | None], list[int | None]]:
    """For each photo, the better photo it duplicates (``None`` when it is kept), and its distance to
    the nearest kept photo other than itself (``None`` when it has no hash or there is none).

    Photos are visited best first (most pixels, then the highest
    ``score(index)``, then the first by position), and each is kept unless it
    lies closer than ``min_distance`` to one kept before it; so every group
    keeps its best member and a chain of small edits cannot walk away from the
    photo it started from. ``score`` is called only for photos that have a
    near-duplicate. ``min_distance=None`` keeps everything.
    """
    found = {index: fingerprint for index, fingerprint in enumerate(prints) if fingerprint is not None}
    present = list(found)
    hashes = np.asarray([found[index].hash64 for index in present], dtype=np.uint64)
    scores: dict[int, float] = {}
    if min_distance is not None:
        for position, index in enumerate(present):
            if np.count_nonzero(np.bitwise_count(hashes ^ hashes[position]) < min_distance) > 1:
                scores[index] = score(index)
    order = sorted(present, key=lambda index: (-found[index].pixels, -scores.get(index, 0.0), index))
    kept_hashes = np.zeros(len(prints), dtype=np.uint64)
    kept_index = np.zeros(len(prints), dtype=np.int64)
    kept = 0
    verdicts: list[NearDuplicate | None] = [None] * len(prints)
    nearest: list[int | None] = [None] * len(prints)
    for index in order:
        value = np.uint64(found[index].hash64)
        if kept:
            distances = np.bitwise_count(kept_hashes[:kept] ^ value)
            best = int(np.argmin(distances))
            nearest[index] = int(distances[best])
            if min_distance is not None and distances[best] < min_distance:
                verdicts[index] = NearDuplicate(int(kept_index[best]), int(distances[best]))
                continue
        kept_hashes[kept], kept_index[kept] = value, index
        kept += 1
    return verdicts, nearest


def nearest_distances(hashes: list[int | None]) -> list[int | None]:
    """Each hash's Hamming distance to the nearest other hash (``None``: no hash, or the only one)."""
    present = np.asarray([h for h in hashes if h is not None], dtype=np.uint64)
    result: list[int | None] = []
    for value in hashes:
        if value is None or len(present) < 2:
            result.append(None)
            continue
        distances = np.bitwise_count(present ^ np.uint64(value))
        result.append(int(np.partition(distances, 1)[1]))
    return result


def _open_bounded(
    source: str | bytes, limits: IngestConfig | None, draft: tuple[str, tuple[int, int]] | None = None
) -> Image.Image | None:
    """The image at ``source`` (a path, or bytes already read by ingest's bounded reader) through
    ingest's decoder, or ``None`` when it is refused."""
    limits = limits or IngestConfig()
    if isinstance(source, str):
        read = read_input(source, limits.max_file_bytes)
        if isinstance(read, Rejection):
            return None
        source = read.data
    opened = open_bounded(source, limits, draft=draft)
    return None if isinstance(opened, Rejection) else opened
