"""Small images of one sample for the gallery, as data URIs, within the report's image budget.

An accepted sample gives three small images, all at one thumbnail size:
the photo (WebP), the repaint mask (a two-colour PNG whose repaint pixels
are opaque and the rest transparent) and the parse map (a palette PNG in
:data:`PARSE_COLOURS`), plus its keypoints in thumbnail pixels. The page
composes the overlay and the agnostic image from the photo and the mask
(the mask tints or greys the photo through CSS ``mask-image``), and draws
the skeleton and each parse layer itself, so a sample costs one photo's
bytes and not five.

Rejected samples are not in any shard, so their photo is the source file,
read from the raw folder when it is given and still readable; anything else
(no raw folder, a file that moved, a file that is not an image, which is
often why it was rejected) gets no image and the page shows a placeholder
with the reason. A bad input never fails the report.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from vtondata.config.ingest import IngestConfig
from vtondata.geometry.parse_map import PARSE_LABELS
from vtondata.ingest.files import read_input
from vtondata.sample import Rejection

logger = logging.getLogger(__name__)

WEBP_QUALITY = 75
WEBP_METHOD = 2
"""Encoder effort 0-6: 2 encodes a thumbnail in about half the time of the default 4 for 5 % more bytes."""
MAX_SOURCE_PIXELS = 64_000_000
"""Source photos larger than this are not decoded for a thumbnail (decompression-bomb guard)."""
PARSE_COLOURS: dict[str, tuple[int, int, int]] = {
    "background": (0, 0, 0),
    "hair": (140, 70, 20),
    "face": (255, 200, 150),
    "skin": (230, 140, 90),
    "upper_garment": (220, 40, 40),
    "lower_garment": (40, 80, 220),
    "dress": (200, 40, 200),
    "hands": (40, 200, 60),
    "feet": (20, 120, 40),
    "other": (150, 150, 150),
}
"""Colour of each parse label in the page's parse map (palette index = label id)."""


@dataclass(frozen=True)
class Tile:
    """The images of one gallery sample; ``size_px`` is ``(width, height)`` of every one of them."""

    photo: str | None
    mask: str | None = None
    parse: str | None = None
    keypoints_px: list[list[float]] | None = None
    size_px: tuple[int, int] | None = None

    @property
    def bytes(self) -> int:
        return sum(len(uri) for uri in (self.photo, self.mask, self.parse) if uri)

    def as_dict(self) -> dict[str, Any]:
        return {
            "photo": self.photo,
            "mask": self.mask,
            "parse": self.parse,
            "keypoints": self.keypoints_px,
            "size": list(self.size_px) if self.size_px else None,
        }


def thumbnail_box(height_px: int) -> tuple[int, int]:
    """The box a thumbnail fits in, ``(width, height)``: wide enough for a 3:2 landscape photo."""
    return round(height_px * 1.5), height_px


def accepted_tile(
    files: dict[str, bytes], mask: np.ndarray, parse: np.ndarray | None, height_px: int
) -> Tile:
    """The tile of an accepted sample from its members, its decoded mask and parse map (full size)."""
    with Image.open(io.BytesIO(files["person.jpg"])) as image:
        image.draft("RGB", thumbnail_box(height_px))
        photo = image.convert("RGB")
    photo.thumbnail(thumbnail_box(height_px), Image.Resampling.LANCZOS)
    size = photo.size
    full_height, full_width = mask.shape
    keypoints = np.asarray(json.loads(files["pose.json"])["canonical"]["keypoints_px"], dtype=np.float64)
    scale = np.array([size[0] / full_width, size[1] / full_height, 1.0])
    return Tile(
        photo=_webp(photo),
        mask=_mask_png(mask, size),
        parse=_parse_png(parse, size) if parse is not None else None,
        keypoints_px=np.round(keypoints * scale, 1).tolist(),
        size_px=size,
    )


def source_tile(raw: Path | None, source_path: str, height_px: int) -> Tile:
    """The raw photo of a rejected input; no ``photo`` if missing, outside ``raw`` or not an image."""
    if raw is None:
        return Tile(photo=None)
    root = raw.resolve()
    # os.path.realpath, unlike Path.resolve, does not raise on the symlink loops bad inputs may be.
    path = Path(os.path.realpath(root / source_path))
    limits = IngestConfig()
    try:
        if not path.is_relative_to(root) or not path.is_file():
            return Tile(photo=None)
        read = read_input(str(path), limits.max_file_bytes)
        if isinstance(read, Rejection):
            return Tile(photo=None)
        with Image.open(io.BytesIO(read.data), formats=limits.formats) as image:
            if image.width * image.height > MAX_SOURCE_PIXELS:
                return Tile(photo=None)
            image.draft("RGB", thumbnail_box(height_px))
            upright = ImageOps.exif_transpose(image).convert("RGB")
        upright.thumbnail(thumbnail_box(height_px), Image.Resampling.LANCZOS)
        return Tile(photo=_webp(upright), size_px=upright.size)
    except Exception as error:  # a rejected input is often unreadable; that must not stop the report
        logger.debug("no thumbnail for %s: %s", source_path, error)
        return Tile(photo=None)


def _webp(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
    return _uri("image/webp", buffer.getvalue())


def _mask_png(mask: np.ndarray, size: tuple[int, int]) -> str:
    """Repaint pixels opaque, the rest transparent: what CSS ``mask-image`` reads."""
    share = Image.fromarray(np.asarray(mask, dtype=np.uint8) * 255).resize(size, Image.Resampling.BOX)
    binary = (np.asarray(share) >= 128).astype(np.uint8)
    image = Image.fromarray(binary, mode="P")
    image.putpalette([0, 0, 0, 255, 0, 110])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True, transparency=0, bits=1)
    return _uri("image/png", buffer.getvalue())


def _parse_png(parse: np.ndarray, size: tuple[int, int]) -> str:
    image = Image.fromarray(np.asarray(parse, dtype=np.uint8), mode="P").resize(
        size, Image.Resampling.NEAREST
    )
    palette = [channel for label in sorted(PARSE_LABELS) for channel in PARSE_COLOURS[PARSE_LABELS[label]]]
    image.putpalette(palette)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return _uri("image/png", buffer.getvalue())


def _uri(media_type: str, data: bytes) -> str:
    return f"data:{media_type};base64," + base64.b64encode(data).decode("ascii")
