"""What a JPEG file carries besides its picture: metadata segments, location tags, bytes after the end.

Ingest stores a JPEG's original bytes only when they are a clean image
(:func:`reasons_to_reencode`): a phone photo's GPS position, 20 MB of
comments or 150 MB appended after the end-of-image marker would otherwise be
copied into every shard, export and trainer. Walking the segment markers is
enough to measure all three without decoding pixels.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from PIL import Image

_SOI, _EOI, _SOS, _APP1, _COM = 0xD8, 0xD9, 0xDA, 0xE1, 0xFE
_STANDALONE = frozenset({0x01, _SOI, *range(0xD0, 0xD8)})
_GPS_IFD = 0x8825
_XMP_LOCATION = (b"GPSLatitude", b"GPSLongitude", b"LocationShown", b"LocationCreated")


@dataclass(frozen=True)
class JpegExtras:
    """``metadata_bytes``: APPn and COM segments in total; ``trailing_bytes``: after the first EOI.

    ``parsed`` is false when the marker structure could not be followed to an
    EOI; such bytes are never stored as they are.
    """

    metadata_bytes: int
    trailing_bytes: int
    has_location: bool
    parsed: bool


def jpeg_extras(data: bytes) -> JpegExtras:
    """Walk the segments of a JPEG (``data`` starts with SOI) up to its first EOI."""
    metadata, location, position = 0, False, 2
    while position + 1 < len(data):
        if data[position] != 0xFF:
            return JpegExtras(metadata, 0, location, parsed=False)
        marker = data[position + 1]
        if marker == 0xFF or marker in _STANDALONE:
            position += 1 if marker == 0xFF else 2
            continue
        if marker == _EOI:
            return JpegExtras(metadata, len(data) - position - 2, location, parsed=True)
        if position + 4 > len(data):
            break
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        segment = data[position + 4 : position + 2 + length]
        if 0xE0 <= marker <= 0xEF or marker == _COM:
            metadata += length + 2
            location = location or (marker == _APP1 and _segment_has_location(segment))
        position += 2 + length
        if marker == _SOS:
            position = _end_of_entropy_data(data, position)
    return JpegExtras(metadata, 0, location, parsed=False)


def reasons_to_reencode(data: bytes, max_metadata_bytes: int, strip_location: bool) -> list[str]:
    """Why the original bytes must not be stored (empty: they may be)."""
    extras = jpeg_extras(data)
    reasons = []
    if not extras.parsed:
        reasons.append("segment structure not followed to its end marker")
    if extras.trailing_bytes:
        reasons.append(f"{extras.trailing_bytes:,} bytes after the end-of-image marker")
    if extras.metadata_bytes > max_metadata_bytes:
        reasons.append(f"{extras.metadata_bytes:,} bytes of metadata (limit {max_metadata_bytes:,})")
    if strip_location and extras.has_location:
        reasons.append("location metadata (ingest.strip_location)")
    return reasons


def _segment_has_location(segment: bytes) -> bool:
    if segment.startswith(b"Exif\x00\x00"):
        exif = Image.Exif()
        try:
            exif.load(segment[6:])
            return bool(exif.get_ifd(_GPS_IFD))
        except (OSError, ValueError, SyntaxError, struct.error, KeyError, TypeError):
            return True
    return segment.startswith(b"http://ns.adobe.com/xap/") and any(tag in segment for tag in _XMP_LOCATION)


def _end_of_entropy_data(data: bytes, position: int) -> int:
    """Index of the first marker after entropy-coded data (``FF 00`` and restart markers are data)."""
    while True:
        found = data.find(b"\xff", position)
        if found < 0 or found + 1 >= len(data):
            return len(data)
        following = data[found + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
            position = found + 1 if following == 0xFF else found + 2
            continue
        return found
