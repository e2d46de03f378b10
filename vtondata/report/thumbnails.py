"""Gallery thumbnails as JPEG data URIs, within the report's image budget.

Accepted samples are drawn from their shard with the repaint region tinted
and the skeleton on top (the same overlay as ``Dataset.show``). Rejected
samples are not in any shard, so their thumbnail is the source photo itself,
read from the raw folder when it is given and still readable; anything else
(no raw folder, a file that moved, a file that is not an image, which is
often why it was rejected) gets no thumbnail and the page shows a
placeholder with the reason instead. A bad input never fails the report.

Thumbnails are made in gallery order (accepted first, then rejection reasons
by decreasing count) until their data URIs add up to
``ReportLimits.image_budget_bytes``; the rest become placeholders. With the
other limits this keeps ``report.html`` under 15 MB for any run size.
"""

from __future__ import annotations

import base64
import io
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from vtondata.config.ingest import IngestConfig
from vtondata.ingest.files import read_input
from vtondata.output.format import decode_member
from vtondata.output.reader import read_members
from vtondata.render.overlay import render_overlay
from vtondata.report.build import ReportLimits
from vtondata.sample import Rejection

logger = logging.getLogger(__name__)

JPEG_QUALITY = 70
MAX_SOURCE_PIXELS = 64_000_000
"""Source photos larger than this are not decoded for a thumbnail (decompression-bomb guard)."""


def gallery_images(
    out: Path, raw: Path | None, gallery: dict[str, Any], limits: ReportLimits
) -> dict[str, str]:
    """``{key: data URI}`` for the gallery samples that got a thumbnail (module docstring)."""
    images: dict[str, str] = {}
    spent = 0
    for key, uri in _candidates(out, raw, gallery, limits):
        if uri is None:
            continue
        if spent + len(uri) > limits.image_budget_bytes:
            break
        images[key] = uri
        spent += len(uri)
    return images


def _candidates(
    out: Path, raw: Path | None, gallery: dict[str, Any], limits: ReportLimits
) -> Iterator[tuple[str, str | None]]:
    height_px = limits.thumbnail_height_px
    by_shard: dict[str, list[str]] = {}
    for entry in gallery["accepted"]:
        by_shard.setdefault(entry["shard"], []).append(entry["key"])
    for shard, keys in by_shard.items():
        members = read_members(out / shard, keys)
        for key in keys:
            yield key, _overlay_thumbnail(members[key], height_px)
    for reason in gallery["rejected"]:
        for entry in reason["samples"]:
            yield entry["key"], _source_thumbnail(raw, entry["source_path"], height_px)


def _overlay_thumbnail(files: dict[str, bytes], height_px: int) -> str:
    person = decode_member("person.jpg", files["person.jpg"])
    mask = decode_member("agnostic_mask.png", files["agnostic_mask.png"])
    pose = decode_member("pose.json", files["pose.json"])
    keypoints = np.asarray(pose["canonical"]["keypoints_px"], dtype=np.float32)
    return _data_uri(Image.fromarray(render_overlay(person, mask, keypoints)), height_px)


def _source_thumbnail(raw: Path | None, source_path: str, height_px: int) -> str | None:
    """The raw photo as a thumbnail, or ``None`` when it is missing, outside ``raw`` or not an image."""
    if raw is None:
        return None
    root = raw.resolve()
    # os.path.realpath, unlike Path.resolve, does not raise on the symlink loops bad inputs may be.
    path = Path(os.path.realpath(root / source_path))
    limits = IngestConfig()
    try:
        if not path.is_relative_to(root) or not path.is_file():
            return None
        read = read_input(str(path), limits.max_file_bytes)
        if isinstance(read, Rejection):
            return None
        with Image.open(io.BytesIO(read.data), formats=limits.formats) as image:
            if image.width * image.height > MAX_SOURCE_PIXELS:
                return None
            image.draft("RGB", (height_px * 2, height_px * 2))
            upright = ImageOps.exif_transpose(image).convert("RGB")
            return _data_uri(upright, height_px)
    except Exception as error:  # a rejected input is often unreadable; that must not stop the report
        logger.debug("no thumbnail for %s: %s", source_path, error)
        return None


def _data_uri(image: Image.Image, height_px: int) -> str:
    """JPEG data URI of ``image`` scaled to fit a ``height_px`` square's height (and its width x 1.5)."""
    image = image.copy()
    image.thumbnail((round(height_px * 1.5), height_px), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
