"""Duplicates family: near-duplicate photos by a 64-bit perceptual hash (DCT hash).

Byte-identical files are caught by the scan's content hash; a re-encoded,
resized or lightly edited copy is not. The hash keeps the signs of the 8x8
lowest DCT frequencies of a 32x32 grey thumbnail against their median, so
re-encoding or rescaling flips few bits while a different photo differs in
about half. Decided at scan time over the sorted inputs: every photo is
compared with all earlier kept ones and the earlier one wins, so the verdict
does not depend on chunks or workers and a resumed build plans the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageOps

from vtondata.config.ingest import IngestConfig
from vtondata.filters import thresholds as th
from vtondata.ingest.decode import open_bounded
from vtondata.ingest.files import read_input
from vtondata.sample import Rejection

FAMILY = "duplicates"
HASH_BITS = 64


@dataclass(frozen=True)
class NearDuplicate:
    """The closest earlier kept photo and the Hamming distance to it."""

    first_index: int
    distance: int


def perceptual_hash(path: str, limits: IngestConfig | None = None) -> int | None:
    """The DCT hash of an image file, or ``None`` when it cannot be decoded (ingest says why later).

    The file goes through ingest's bounded reader and decoder with ``limits``
    (default: the default ingest section): only the accepted formats, at most
    ``max_file_bytes`` and ``max_pixels``, so hashing is no way around them.
    """
    limits = limits or IngestConfig()
    read = read_input(path, limits.max_file_bytes)
    if isinstance(read, Rejection):
        return None
    opened = open_bounded(read.data, limits, draft_grey_wh=(64, 64))
    if isinstance(opened, Rejection):
        return None
    try:
        with opened as image:
            grey = ImageOps.exif_transpose(image).convert("L").resize((32, 32), Image.Resampling.BOX)
    except (OSError, ValueError):
        return None
    coefficients = cv2.dct(np.asarray(grey, dtype=np.float32))[:8, :8].flatten()
    bits = coefficients > np.median(coefficients[1:])
    return int(np.packbits(bits).view(">u8")[0])


def near_duplicates(hashes: list[int | None], min_distance: float | None) -> list[NearDuplicate | None]:
    """For each hash, the closest earlier *kept* hash (``None`` for the first and for unhashed inputs).

    An input closer than ``min_distance`` to a kept one is not kept itself, so
    a chain of small edits cannot walk away from the photo it started from;
    ``None`` keeps everything (what ``calibrate`` measures).
    """
    kept_hashes = np.zeros(len(hashes), dtype=np.uint64)
    kept_index = np.zeros(len(hashes), dtype=np.int64)
    kept = 0
    result: list[NearDuplicate | None] = []
    for index, value in enumerate(hashes):
        if value is None:
            result.append(None)
            continue
        nearest = None
        if kept:
            distances = np.bitwise_count(kept_hashes[:kept] ^ np.uint64(value))
            best = int(np.argmin(distances))
            nearest = NearDuplicate(first_index=int(kept_index[best]), distance=int(distances[best]))
        result.append(nearest)
        if min_distance is None or nearest is None or nearest.distance >= min_distance:
            kept_hashes[kept], kept_index[kept] = value, index
            kept += 1
    return result


def decide(stats: dict[str, float], thresholds: list[th.Threshold]) -> Rejection | None:
    """The first failing threshold of this family."""
    return th.decide(stats, [t for t in thresholds if t.family == FAMILY])
