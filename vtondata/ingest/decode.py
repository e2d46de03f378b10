"""Safe decoding of one person photo into the stored JPEG, or a reason why not.

The order of checks is the order of cost: byte count, then the header (format,
declared size, colour mode) without touching pixel data, then the pixels. A
decompression bomb is therefore refused from its header alone. The normalised
image is always ``config.target_width_px x config.target_height_px`` RGB:

* EXIF orientation is applied (``ImageOps.exif_transpose``), so the stored image
  is upright and carries no orientation tag.
* CMYK becomes RGB (Pillow's conversion) or ``ingest.cmyk``; 16-bit data keeps the
  high byte of each value or is ``ingest.high_bit_depth``; transparency is
  composited over ``pad_rgb`` or is ``ingest.alpha``; any other mode (L, P, ...)
  becomes RGB.
* ``fit="pad"`` scales by ``min(W/w, H/h)`` and centres the image on a
  ``pad_rgb`` canvas; ``fit="crop"`` scales by ``max(W/w, H/h)`` and keeps the
  centre. Either way a stored pixel is ``upright_xy * scale + offset_xy``
  (``offset_xy`` is negative when cropping), recorded in ``meta``.

A JPEG that is already RGB, 8-bit, upright and at the target size is stored as
its original bytes when they are a clean image (no bytes after the end
marker, at most ``config.max_metadata_bytes`` of metadata, no location tags
while ``config.strip_location``; :mod:`vtondata.ingest.jpeg_extras`); anything
else is encoded once at ``config.jpeg_quality``, without metadata
(deterministic: the same input gives the same bytes).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from vtondata.config.ingest import IngestConfig
from vtondata.ingest.jpeg_extras import reasons_to_reencode
from vtondata.quiet import ignoring
from vtondata.sample import Rejection

JPEG_FORMATS = frozenset({"JPEG", "MPO"})
"""Pillow reports camera JPEGs with a multi-picture index as MPO; both are JPEG bytes."""
HIGH_BIT_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N", "I"})
ALPHA_MODES = frozenset({"RGBA", "LA", "PA"})
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError)
_INFLATE_LIMIT_SIGNS = ("Decompressed data too large", "MAX_TEXT_MEMORY")
"""Pillow's words when a PNG text or iCCP chunk inflates past its limits (a zlib bomb)."""


@dataclass(frozen=True)
class DecodedPerson:
    """The stored person image: JPEG bytes of ``size_wh`` = ``(width, height)`` pixels.

    ``meta`` (JSON-able) says how the file became this image: ``format``,
    ``mode`` (as stored in the file, e.g. ``RGB;16B``), ``bits_per_channel``,
    ``orig_size_wh`` (as stored in the file, before EXIF rotation),
    ``upright_size_wh`` (after it: what a viewer shows and what is placed),
    ``exif_orientation``, ``exif_transposed``, ``converted_from`` (the original
    mode, or ``None``), ``fit``, ``scale``, ``offset_xy``, ``reencoded`` and
    ``reencoded_because`` (why a JPEG that needed no change was not kept as it was).
    """

    image_bytes: bytes
    size_wh: tuple[int, int]
    meta: dict[str, Any]


@dataclass(frozen=True)
class Placement:
    """Where an upright ``w x h`` image lands on the target canvas.

    ``resized_wh`` is its size after scaling by ``scale``; ``offset_xy`` is the
    canvas position of its top-left pixel (negative when ``fit="crop"`` cuts it).
    """

    scale: float
    resized_wh: tuple[int, int]
    offset_xy: tuple[int, int]

    def box(self, canvas_wh: tuple[int, int]) -> tuple[int, int, int, int]:
        """``(x0, y0, x1, y1)``: the canvas pixels that come from the image (letterbox bars excluded)."""
        (x, y), (w, h) = self.offset_xy, self.resized_wh
        return (max(x, 0), max(y, 0), min(x + w, canvas_wh[0]), min(y + h, canvas_wh[1]))


def decode_person(data: bytes, config: IngestConfig) -> DecodedPerson | Rejection:
    """Normalise the raw bytes of one photo, or say why they cannot be a sample."""
    if not data:
        return Rejection("ingest.empty_file", "the file is empty (0 bytes)")
    if len(data) > config.max_file_bytes:
        message = f"file is {len(data):,} bytes, over the {config.max_file_bytes:,} byte limit"
        return Rejection("ingest.too_large", message)
    opened = _open_header(data, config)
    if isinstance(opened, Rejection):
        return opened
    with opened as image:
        stored_mode = _stored_mode(image)
        refused = _check_header(image, stored_mode, config)
        if refused is not None:
            return refused
        try:
            image.load()
        except _DECODE_ERRORS as error:
            return _decode_failure(f"{image.format} pixel data", error)
        return _normalise(image, stored_mode, data, config)


def _normalise(
    image: Image.Image, stored_mode: str, data: bytes, config: IngestConfig
) -> DecodedPerson | Rejection:
    """Upright, RGB, target-sized; the original bytes when none of that changed anything."""
    orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    transposed = orientation in range(2, 9)
    converted = _to_rgb(ImageOps.exif_transpose(image) if transposed else image, config)
    if isinstance(converted, Rejection):
        return converted
    rgb, converted_from = converted
    if converted_from is None and stored_mode != image.mode:
        converted_from = stored_mode
    target_wh = (config.target_width_px, config.target_height_px)
    placement = place(rgb.size, target_wh, config.fit)
    untouched = converted_from is None and not transposed and image.size == target_wh
    unclean = (
        reasons_to_reencode(data, config.max_metadata_bytes, config.strip_location)
        if untouched and image.format in JPEG_FORMATS
        else []
    )
    reencode = not (untouched and image.format in JPEG_FORMATS) or bool(unclean)
    meta = {
        "format": image.format,
        "mode": stored_mode,
        "bits_per_channel": _bits_per_channel(stored_mode),
        "orig_size_wh": list(image.size),
        "upright_size_wh": list(rgb.size),
        "exif_orientation": orientation if transposed else 1,
        "exif_transposed": transposed,
        "converted_from": converted_from,
        "fit": config.fit,
        "scale": placement.scale,
        "offset_xy": list(placement.offset_xy),
        "reencoded": reencode,
        "reencoded_because": unclean,
    }
    image_bytes = _encode(_fit(rgb, placement, target_wh, config.pad_rgb), config) if reencode else data
    return DecodedPerson(image_bytes=image_bytes, size_wh=target_wh, meta=meta)


def place(size_wh: tuple[int, int], target_wh: tuple[int, int], fit: str) -> Placement:
    """Scale and offset that fit a ``size_wh`` image to ``target_wh`` (both ``(width, height)`` px).

    ``"pad"``: scale by ``min(W/w, H/h)`` so the whole image fits, centred
    (letterbox bars on two sides). ``"crop"``: scale by ``max(W/w, H/h)`` so the
    image covers the canvas, centred (the overflow on two sides is cut). Resized
    sides are rounded to whole pixels; centring rounds toward the top-left.
    """
    width, height = size_wh
    target_w, target_h = target_wh
    ratios = (target_w / width, target_h / height)
    scale = min(ratios) if fit == "pad" else max(ratios)
    resized_w, resized_h = max(1, round(width * scale)), max(1, round(height * scale))
    if fit == "pad":
        resized_w, resized_h = min(resized_w, target_w), min(resized_h, target_h)
    else:
        resized_w, resized_h = max(resized_w, target_w), max(resized_h, target_h)
    offset_xy = ((target_w - resized_w) // 2, (target_h - resized_h) // 2)
    return Placement(scale=scale, resized_wh=(resized_w, resized_h), offset_xy=offset_xy)


def _open_header(data: bytes, config: IngestConfig) -> Image.Image | Rejection:
    """Identify the format and read the header only; no pixel data is decoded here.

    Pillow's own decompression-bomb guard may refuse a header first (above
    ``2 * Image.MAX_IMAGE_PIXELS``); its warning below that is silenced because
    ``config.max_pixels`` is the limit this project applies.
    """
    try:
        with ignoring(Image.DecompressionBombWarning):
            return Image.open(io.BytesIO(data), formats=config.formats)
    except Image.DecompressionBombError as error:
        return Rejection("ingest.too_large", f"header refused by Pillow's decompression-bomb guard: {error}")
    except UnidentifiedImageError:
        names = ", ".join(config.formats)
        return Rejection("ingest.not_an_image", f"content is not an image in an accepted format ({names})")
    except _DECODE_ERRORS as error:
        return _decode_failure("image header", error)


def _decode_failure(part: str, error: Exception) -> Rejection:
    """``ingest.too_large`` for Pillow's zlib-bomb guards (PNG text, colour profile), else truncated."""
    text = str(error)
    if isinstance(error, ValueError) and any(sign in text for sign in _INFLATE_LIMIT_SIGNS):
        return Rejection(
            "ingest.too_large", f"{part} holds compressed metadata that inflates past the limit: {text}"
        )
    return Rejection("ingest.truncated", f"{part} is truncated or corrupt: {text}")


def open_bounded(
    data: bytes, config: IngestConfig, draft: tuple[str, tuple[int, int]] | None = None
) -> Image.Image | Rejection:
    """Any accepted-format image (a garment photo, a hash thumbnail's source), header-checked, pixels loaded.

    The same guards as a person photo (format allow-list, ``max_pixels``, zlib
    bombs) without the person-only rules (minimum size, colour policies).
    ``draft`` (a mode and a size, ``("L", (64, 64))``) lets a JPEG decode
    straight to a small image; ``image.info["header_size_wh"]`` keeps the size
    the header declared, which a draft shrinks ``image.size`` below.
    """
    opened = _open_header(data, config)
    if isinstance(opened, Rejection):
        return opened
    width, height = opened.size
    if width * height > config.max_pixels:
        opened.close()
        message = (
            f"{opened.format} header declares {width}x{height} = {_pixels_text(width * height)}, "
            f"over the {_pixels_text(config.max_pixels)} limit"
        )
        return Rejection("ingest.too_large", message)
    opened.info["header_size_wh"] = (width, height)
    try:
        if draft is not None:
            opened.draft(*draft)
        opened.load()
    except _DECODE_ERRORS as error:
        opened.close()
        return _decode_failure(f"{opened.format} pixel data", error)
    return opened


def _stored_mode(image: Image.Image) -> str:
    """The pixel layout in the file: Pillow's mode, or the raw mode when that says 16 bits.

    Pillow opens 16-bit RGB(A) PNGs as 8-bit ``RGB`` / ``RGBA`` (keeping the high
    byte); only the tile's raw mode (``"RGB;16B"``) still tells. Call before ``load()``.
    """
    if image.mode in HIGH_BIT_MODES:
        return image.mode
    for tile in getattr(image, "tile", []):  # files opened by Pillow carry their tiles
        rawmode = tile.args if isinstance(tile.args, str) else (tile.args or ("",))[0]
        if isinstance(rawmode, str) and ";16" in rawmode:
            return rawmode
    return image.mode


def _bits_per_channel(stored_mode: str) -> int:
    return 16 if stored_mode in HIGH_BIT_MODES or ";16" in stored_mode else 8


def _check_header(image: Image.Image, stored_mode: str, config: IngestConfig) -> Rejection | None:
    """Refusals decided from the header alone: size bounds and the reject policies for colour."""
    width, height = image.size
    if width * height > config.max_pixels:
        message = (
            f"{image.format} header declares {width}x{height} = {_pixels_text(width * height)}, "
            f"over the {_pixels_text(config.max_pixels)} limit"
        )
        return Rejection("ingest.too_large", message)
    if min(width, height) < config.min_short_side_px:
        message = f"{width}x{height} px: the shorter side is under {config.min_short_side_px} px"
        return Rejection("ingest.too_small", message)
    if image.mode == "CMYK" and config.on_cmyk == "reject":
        return Rejection("ingest.cmyk", f"{image.format} in CMYK colour (ingest.on_cmyk is 'reject')")
    if _bits_per_channel(stored_mode) == 16 and config.on_high_bit_depth == "reject":
        policy = "ingest.on_high_bit_depth is 'reject'"
        message = f"{image.format} with 16 bits per channel ({stored_mode}; {policy})"
        return Rejection("ingest.high_bit_depth", message)
    return None


def _to_rgb(image: Image.Image, config: IngestConfig) -> tuple[Image.Image, str | None] | Rejection:
    """8-bit RGB and the mode it was converted from (``None`` when already RGB without transparency).

    An alpha channel that is fully opaque is not transparency: it is dropped.
    """
    if image.mode == "CMYK":
        return image.convert("RGB"), "CMYK"
    if image.mode in HIGH_BIT_MODES:
        values = np.clip(np.asarray(image), 0, 65535).astype(np.uint16)
        return Image.fromarray((values >> 8).astype(np.uint8)).convert("RGB"), image.mode
    if image.mode in ALPHA_MODES or "transparency" in image.info:
        rgba = image.convert("RGBA")
        lowest_alpha = rgba.getchannel("A").getextrema()[0]  # one band: (min, max) ints
        if lowest_alpha < 255:  # pyright: ignore[reportOperatorIssue]
            if config.on_alpha == "reject":
                message = f"{image.mode} image with transparent pixels (ingest.on_alpha is 'reject')"
                return Rejection("ingest.alpha", message)
            background = Image.new("RGBA", rgba.size, (*config.pad_rgb, 255))
            return Image.alpha_composite(background, rgba).convert("RGB"), image.mode
    if image.mode == "RGB":
        return image, None
    return image.convert("RGB"), image.mode


def _fit(
    image: Image.Image, placement: Placement, target_wh: tuple[int, int], pad_rgb: tuple[int, int, int]
) -> Image.Image:
    """Resize (Lanczos) and paste on a ``pad_rgb`` canvas; pasting at a negative offset crops."""
    if image.size != placement.resized_wh:
        image = image.resize(placement.resized_wh, Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", target_wh, pad_rgb)
    canvas.paste(image, placement.offset_xy)
    return canvas


def _encode(image: Image.Image, config: IngestConfig) -> bytes:
    """Baseline JPEG without metadata: the EXIF orientation has been applied already."""
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=config.jpeg_quality)
    return buffer.getvalue()


def _pixels_text(pixels: int) -> str:
    if pixels >= 1_000_000_000:
        return f"{pixels / 1e9:.3g} gigapixels"
    return f"{pixels / 1e6:.3g} megapixels"
