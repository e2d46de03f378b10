"""A raw folder of every kind of bad (and awkward but good) input, with the expected verdicts.

Good inputs are real photos derived from one person photo, so later stages
(pose, segmentation) can accept them too. Files are generated under the given
folder (a tmp folder in tests); the shared photo itself is only read.
"""

from __future__ import annotations

import io
import os
import random
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
from PIL import ExifTags, Image, ImageOps

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
UNICODE_NAME = "sub/ünïcødé фото.jpg"


def make_bad_input_corpus(folder: Path, person_photo: Path) -> dict[str, str | None]:
    """Write the corpus into ``folder``; return ``source_path -> expected ingest reason code``.

    ``None`` means ingest accepts the file with the default config. The keys
    are exactly the inputs a scan must find (POSIX, NFC); the corpus also holds
    files a scan must ignore (a hidden image, a ``.txt`` file).
    """
    folder.mkdir(parents=True, exist_ok=True)
    photo = Image.open(person_photo).convert("RGB")
    original = person_photo.read_bytes() if Image.open(person_photo).format == "JPEG" else _jpeg(photo, 95)
    files: dict[str, tuple[bytes, str | None]] = {
        "person.jpg": (original, None),
        "sub/deeper/person_copy.jpg": (original, "ingest.duplicate"),
        "empty.jpg": (b"", "ingest.empty_file"),
        "truncated.jpg": (original[: len(original) // 2], "ingest.truncated"),
        "corrupt.png": (corrupt_png(*photo.size), "ingest.truncated"),
        "garbage.png": (PNG_SIGNATURE + random.Random(1).randbytes(2048), "ingest.not_an_image"),
        "text.jpg": (b"This is a text file that someone renamed to .jpg\n" * 20, "ingest.not_an_image"),
        "tiny.png": (_png(Image.new("RGB", (1, 1), (200, 30, 30))), "ingest.too_small"),
        "bomb.png": (png_header_only(40_000, 40_000), "ingest.too_large"),
        "rgba.png": (_png(_with_transparent_border(photo)), None),
        "cmyk.jpg": (_jpeg(photo.convert("CMYK"), 95), None),
        "rgb16.png": (_png16(photo), None),
        "exif_rotated.jpg": (_exif_rotated_jpeg(photo), None),
        UNICODE_NAME: (_jpeg(ImageOps.mirror(photo), 95), None),
        "UPPER.JPG": (_jpeg(photo, 90), None),
        ".hidden.jpg": (original, "ignored"),
        "notes.txt": (b"not an input\n", "ignored"),
    }
    expected: dict[str, str | None] = {}
    for name, (data, code) in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        if code != "ignored":
            expected[name] = code
    os.symlink("loop.lnk", folder / "loop.jpg")
    os.symlink("loop.jpg", folder / "loop.lnk")
    os.symlink("missing/nowhere.jpg", folder / "broken.jpg")
    expected["loop.jpg"] = "ingest.unreadable"
    expected["broken.jpg"] = "ingest.unreadable"
    return expected


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    """One PNG chunk: length, type, payload, CRC-32 of type + payload."""
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_header_only(width: int, height: int) -> bytes:
    """A tiny valid-looking RGB PNG whose IHDR declares ``width x height``: a decompression bomb's header."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return PNG_SIGNATURE + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def corrupt_png(width: int, height: int) -> bytes:
    """Valid signature and IHDR, then an IDAT of random bytes (with a correct CRC) and IEND."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    garbage = random.Random(0).randbytes(4096)
    return PNG_SIGNATURE + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", garbage) + png_chunk(b"IEND", b"")


def _jpeg(image: Image.Image, quality: int, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality, **params)
    return buffer.getvalue()


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _png16(photo: Image.Image) -> bytes:
    """16 bits per channel RGB (Pillow cannot write it; OpenCV can)."""
    rgb16 = np.asarray(photo).astype(np.uint16) * 257
    ok, encoded = cv2.imencode(".png", np.ascontiguousarray(rgb16[:, :, ::-1]))
    assert ok
    return encoded.tobytes()


def _with_transparent_border(photo: Image.Image, border_px: int = 24) -> Image.Image:
    """RGBA copy whose outer frame is fully transparent and the next band half transparent."""
    alpha = np.full((photo.height, photo.width), 255, np.uint8)
    alpha[: 2 * border_px], alpha[-2 * border_px :] = 128, 128
    alpha[:, : 2 * border_px], alpha[:, -2 * border_px :] = 128, 128
    alpha[:border_px], alpha[-border_px:], alpha[:, :border_px], alpha[:, -border_px:] = 0, 0, 0, 0
    rgba = photo.convert("RGBA")
    rgba.putalpha(Image.fromarray(alpha))
    return rgba


def _exif_rotated_jpeg(photo: Image.Image) -> bytes:
    """Pixels stored rotated 90° counter-clockwise with orientation 6, so viewers turn them upright."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    return _jpeg(photo.transpose(Image.Transpose.ROTATE_90), 95, exif=exif)
