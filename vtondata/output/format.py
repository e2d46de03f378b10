"""The output format in one place: schema version, tar members, and their codecs both ways.

Every encoder is a pure function of its input, so re-running a chunk gives
byte-identical shards: JSON with sorted keys and fixed separators, PNG with a
fixed compression level, JPEG with a fixed quality. The member names and their
meaning are listed once, in :data:`MEMBER_SPECS`, which the manifest copies;
:func:`encode_member` and :func:`decode_member` turn a member's value into its
bytes and back, chosen by member name, so the writer (``stages/encode.py``)
and every reader (``output/reader.py``) agree by construction.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import cv2
import numpy as np
from PIL import Image

from vtondata.sample import ALL_CATEGORIES, UNION_CATEGORIES, Category

SCHEMA_VERSION = "1.1.0"
"""Version of the whole output contract: manifest, tar members and ``meta.json``."""


@dataclass(frozen=True)
class MemberSpec:
    """What one tar member is: its media type, byte encoding, presence and meaning."""

    media_type: str
    encoding: str
    required: bool
    meaning: str


MEMBER_SPECS: dict[str, MemberSpec] = {
    "person.jpg": MemberSpec(
        "image/jpeg",
        "JPEG, 8-bit RGB",
        True,
        "The person photo as stored by ingest (original bytes when no transform was needed). "
        "Every pixel coordinate in the sample refers to this image.",
    ),
    "agnostic_mask.png": MemberSpec(
        "image/png",
        "PNG, single channel 8-bit (L), values 0 and 255 only",
        True,
        "Category-agnostic inpainting mask, same size as person.jpg: 255 = repaint, 0 = keep "
        "(divide by 255 to read 1 = repaint).",
    ),
    "agnostic.jpg": MemberSpec(
        "image/jpeg",
        "JPEG quality 95, 8-bit RGB",
        True,
        "person.jpg with every masked pixel set to the recipe's output.agnostic_grey_rgb.",
    ),
    "pose.json": MemberSpec(
        "application/json",
        "UTF-8 JSON, sorted keys",
        True,
        "Canonical keypoints (COCO-17 order, then neck and mid-hip; x_px, y_px, confidence in "
        "pixels of person.jpg) and the same joints in OpenPose BODY_25 layout (VITON-HD openpose_json).",
    ),
    "pose.png": MemberSpec(
        "image/png",
        "PNG, 8-bit RGB",
        True,
        "OpenPose-style skeleton drawn on black, same size as person.jpg.",
    ),
    "garment_mask.png": MemberSpec(
        "image/png",
        "PNG, single channel 8-bit (L), values 0 and 255 only",
        False,
        "Garment evidence of the dataset's category, same size as person.jpg: 255 = garment. "
        "Present when the segment backend produced it.",
    ),
    "parse.png": MemberSpec(
        "image/png",
        "PNG, single channel 8-bit (L), label ids 0-9",
        False,
        "Human parse map, same size as person.jpg: 0 background, 1 hair, 2 face, 3 skin, "
        "4 upper garment, 5 lower garment, 6 dress, 7 hands, 8 feet, 9 other (docs/format.md). "
        "Present when the recipe's evidence includes a person silhouette.",
    ),
    "cloth.jpg": MemberSpec(
        "image/jpeg",
        "JPEG quality 95, 8-bit RGB",
        False,
        "The paired garment photo, centred and padded on white to the recipe's cloth.target_size_wh. "
        "Present when a garment photo was paired (docs/ingest.md).",
    ),
    "cloth_mask.png": MemberSpec(
        "image/png",
        "PNG, single channel 8-bit (L), values 0 and 255 only",
        False,
        "Garment mask of cloth.jpg, same size: 255 = garment. Present with cloth.jpg.",
    ),
    "meta.json": MemberSpec(
        "application/json",
        "UTF-8 JSON, sorted keys; schemas/sample.schema.json",
        True,
        "Provenance (source path and sha256, category, per-stage backend details) and every "
        "statistic the filters measured.",
    ),
}
"""Every member a shard sample may have, by extension (the part after the key's dot)."""

REQUIRED_MEMBERS: tuple[str, ...] = tuple(name for name, spec in MEMBER_SPECS.items() if spec.required)

PER_CATEGORY_MEMBERS: tuple[str, ...] = ("agnostic_mask.png", "agnostic.jpg", "garment_mask.png", "parse.png")
"""Members whose content depends on the category: an all-category sample holds one of each per
category it was accepted for, named by :func:`category_member`."""

UNION_NAME = "_".join(UNION_CATEGORIES)
"""The union's name in member names: ``agnostic_mask_upper_lower.png``."""


def category_member(name: str, category: str) -> str:
    """A per-category member's name in an all-category sample: ``agnostic_mask.png`` ->
    ``agnostic_mask_lower.png``."""
    stem, extension = name.rsplit(".", 1)
    return f"{stem}_{category}.{extension}"


def _all_category_specs() -> dict[str, MemberSpec]:
    """:data:`MEMBER_SPECS` for an all-category build: the shared members, each category's, the union's."""
    specs: dict[str, MemberSpec] = {}
    for name, spec in MEMBER_SPECS.items():
        if name not in PER_CATEGORY_MEMBERS:
            specs[name] = spec
            continue
        for category in Category:
            specs[category_member(name, category)] = MemberSpec(
                spec.media_type,
                spec.encoding,
                False,
                f"{spec.meaning} Drawn for the {category} category; present when the photo was accepted "
                f"for {category} (the index's accepted_{category}).",
            )
    for name in ("agnostic_mask.png", "agnostic.jpg"):
        spec = MEMBER_SPECS[name]
        specs[category_member(name, UNION_NAME)] = MemberSpec(
            spec.media_type,
            spec.encoding,
            False,
            f"{spec.meaning} The union of the upper and lower masks, for swapping a top and a bottom at "
            "once; present when the photo was accepted for both.",
        )
    specs["meta.json"] = replace(
        MEMBER_SPECS["meta.json"],
        meaning=f"{MEMBER_SPECS['meta.json'].meaning} Each category's verdict, mask parameters and "
        "statistics are under 'categories'.",
    )
    return specs


ALL_CATEGORY_MEMBER_SPECS: dict[str, MemberSpec] = _all_category_specs()
"""Every member a sample of an all-category build (``--category all``) may have."""


def member_specs(category: str) -> dict[str, MemberSpec]:
    """The members of a dataset built for ``category`` (a garment category or ``"all"``)."""
    return ALL_CATEGORY_MEMBER_SPECS if category == ALL_CATEGORIES else MEMBER_SPECS


def required_members(category: str) -> tuple[str, ...]:
    """The members every accepted sample of a dataset built for ``category`` holds."""
    return tuple(name for name, spec in member_specs(category).items() if spec.required)


def category_view(members: dict[str, Any], category: str) -> dict[str, Any] | None:
    """An all-category sample's members as a sample of ``category`` alone holds them, or ``None``
    when it was not accepted for ``category`` (it has no such mask).

    ``agnostic_mask_lower.png`` becomes ``agnostic_mask.png`` and so on; other categories' members
    and the union's are left out; shared members stay. A single-category sample (it has
    ``agnostic_mask.png``) is returned as it is: which category it holds is its dataset's.
    """
    if "agnostic_mask.png" in members:
        return members
    if category_member("agnostic_mask.png", category) not in members:
        return None
    own = {category_member(name, category): name for name in PER_CATEGORY_MEMBERS}
    drawn = {
        category_member(name, other) for name in PER_CATEGORY_MEMBERS for other in (*Category, UNION_NAME)
    }
    return {own.get(name, name): value for name, value in members.items() if name in own or name not in drawn}


PNG_PARAMS = (
    (cv2.IMWRITE_PNG_COMPRESSION, 1),
    (cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_RLE),
    (cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_UP),
)
"""Fast lossless PNG: zlib level 1, run-length matching, the 'up' row filter for every row.

Masks, parse maps and skeletons are flat regions with sharp edges, so runs
compress them well; choosing a filter per row (libpng's default) and zlib
level 6 cost 4x the time for files 10-20 % smaller (768x1024: agnostic mask
1.6 ms instead of 6.2 ms, skeleton 4.9 ms instead of 18.9 ms, one core).
"""
JPEG_QUALITY = 95
JPEG_SIGNATURE = b"\xff\xd8\xff"


def binary_mask_u8(mask: np.ndarray) -> np.ndarray:
    """``HxW`` bool (or 0/1) -> ``HxW`` uint8 with 255 where True, 0 elsewhere."""
    return np.where(np.asarray(mask, dtype=bool), np.uint8(255), np.uint8(0))


def encode_png(array: np.ndarray) -> bytes:
    """``HxW`` uint8 (written as greyscale) or ``HxWx3`` uint8 RGB -> PNG bytes."""
    if array.ndim == 3:
        array = cv2.cvtColor(array, cv2.COLOR_RGB2BGR)
    ok, buffer = cv2.imencode(".png", array, [value for pair in PNG_PARAMS for value in pair])
    if not ok:
        raise ValueError(f"PNG encoding failed for an array of shape {array.shape}")
    return buffer.tobytes()


def encode_jpeg(rgb: np.ndarray) -> bytes:
    """``HxWx3`` uint8 RGB -> baseline JPEG bytes at :data:`JPEG_QUALITY`."""
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    ok, buffer = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise ValueError(f"JPEG encoding failed for an array of shape {rgb.shape}")
    return buffer.tobytes()


def json_bytes(document: Any, *, indent: int | None = None) -> bytes:
    """Deterministic UTF-8 JSON: sorted keys, fixed separators, numpy values as plain numbers.

    Non-finite floats become ``null`` (JSON has no NaN), so a statistic that
    could not be computed never costs a sample.
    """
    separators = (",", ": ") if indent is not None else (",", ":")
    text = json.dumps(
        _json_ready(document), sort_keys=True, separators=separators, indent=indent, allow_nan=False
    )
    return text.encode("utf-8")


def _json_ready(value: Any) -> Any:
    if isinstance(value, np.ndarray | np.generic):
        value = value.tolist()
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def decode_rgb(data: bytes) -> np.ndarray:
    """JPEG or PNG bytes -> ``HxWx3`` uint8 RGB, whatever mode the image was saved in."""
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"))


def decode_grey(data: bytes) -> np.ndarray:
    """PNG bytes -> ``HxW`` uint8, one channel whatever mode the image was saved in."""
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("L"))


def decode_binary_mask(data: bytes) -> np.ndarray:
    """A 0/255 mask PNG -> ``HxW`` bool (values above 127 count as set)."""
    return decode_grey(data) > 127


@dataclass(frozen=True)
class Codec:
    """How one member's value becomes bytes and back; ``value`` says what the decoded value is."""

    value: str
    encode: Callable[[Any], bytes]
    decode: Callable[[bytes], Any]


_JPEG_RGB = Codec("HxWx3 uint8 RGB", encode_jpeg, decode_rgb)
_PNG_RGB = Codec("HxWx3 uint8 RGB", encode_png, decode_rgb)
_PNG_BINARY = Codec("HxW bool, True = set", lambda mask: encode_png(binary_mask_u8(mask)), decode_binary_mask)
_PNG_LABELS = Codec(
    "HxW uint8 label ids", lambda labels: encode_png(np.asarray(labels, dtype=np.uint8)), decode_grey
)
_JSON = Codec("dict", json_bytes, json.loads)

CODECS: dict[str, Codec] = {
    "person.jpg": _JPEG_RGB,
    "agnostic_mask.png": _PNG_BINARY,
    "agnostic.jpg": _JPEG_RGB,
    "pose.json": _JSON,
    "pose.png": _PNG_RGB,
    "garment_mask.png": _PNG_BINARY,
    "parse.png": _PNG_LABELS,
    "cloth.jpg": _JPEG_RGB,
    "cloth_mask.png": _PNG_BINARY,
    "meta.json": _JSON,
}
CODECS.update(
    {
        category_member(name, category): CODECS[name]
        for name in PER_CATEGORY_MEMBERS
        for category in (*Category, UNION_NAME)
        if category_member(name, category) in ALL_CATEGORY_MEMBER_SPECS
    }
)
"""The codec of every member in :data:`MEMBER_SPECS` and :data:`ALL_CATEGORY_MEMBER_SPECS` (a test
keeps the lists equal)."""


def encode_member(name: str, value: Any) -> bytes:
    """The bytes of member ``name`` holding ``value`` (an array or a JSON document; see :data:`CODECS`)."""
    return _codec(name).encode(value)


def decode_member(name: str, data: bytes) -> Any:
    """The value of member ``name`` from its bytes: RGB or label arrays, bool masks, dicts."""
    return _codec(name).decode(data)


def _codec(name: str) -> Codec:
    codec = CODECS.get(name)
    if codec is None:
        raise KeyError(f"{name!r} is not a member of the output format ({', '.join(CODECS)})")
    return codec
