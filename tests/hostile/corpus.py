"""Generated hostile inputs: every file is built here at test time, nothing is checked in.

Each helper writes one kind of file that once broke a promise of vtondata
(docs/reliability.md lists them): pickles that run code, decompression bombs,
images with location metadata or trailing data, names the file system allows
but programs trip on.
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def person_jpeg(width: int = 768, height: int = 1024, seed: int = 0, **save: object) -> bytes:
    """A smooth random RGB JPEG of ``width x height`` (different seeds are not near-duplicates)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, size=(8, 6, 3), dtype=np.uint8)
    image = Image.fromarray(small).resize((width, height), Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90, **save)
    return buffer.getvalue()


def gps_exif() -> bytes:
    """EXIF bytes with a GPS position (Paris), as a phone writes them."""
    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)})
    return exif.tobytes()


def with_app_segments(jpeg: bytes, payload_bytes: int) -> bytes:
    """``jpeg`` with COM segments holding ``payload_bytes`` of filler after SOI (oversized metadata)."""
    segments = []
    left = payload_bytes
    while left > 0:
        size = min(left, 65_000)
        segments.append(b"\xff\xfe" + struct.pack(">H", size + 2) + b"m" * size)
        left -= size
    return jpeg[:2] + b"".join(segments) + jpeg[2:]


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_with_chunk(width: int, height: int, extra: bytes) -> bytes:
    """A valid grey PNG of ``width x height`` with ``extra`` chunks inserted after IHDR."""
    header = png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    rows = b"".join(b"\x00" + bytes([128]) * (3 * width) for _ in range(height))
    return (
        PNG_SIGNATURE + header + extra + png_chunk(b"IDAT", zlib.compress(rows, 9)) + png_chunk(b"IEND", b"")
    )


def ztxt_bomb(decompressed_bytes: int = 64 << 20) -> bytes:
    """A zTXt chunk that inflates to ``decompressed_bytes`` (a zlib bomb in PNG text)."""
    return png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"\x00" * decompressed_bytes, 9))


def iccp_bomb(decompressed_bytes: int = 64 << 20) -> bytes:
    """An iCCP chunk that inflates to ``decompressed_bytes`` (a zlib bomb in the colour profile)."""
    return png_chunk(b"iCCP", b"icc\x00\x00" + zlib.compress(b"\x00" * decompressed_bytes, 9))


def huge_png(width: int, height: int) -> bytes:
    """A tiny file whose pixels really decode to ``width x height`` (all one colour)."""
    header = png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\x80" * width
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return PNG_SIGNATURE + header + png_chunk(b"IDAT", body) + png_chunk(b"IEND", b"")


def tiff_copy(jpeg: bytes) -> bytes:
    """The same picture as ``jpeg``, stored as a TIFF (to be renamed ``.jpg``)."""
    buffer = io.BytesIO()
    Image.open(io.BytesIO(jpeg)).save(buffer, format="TIFF")
    return buffer.getvalue()


def code_running_checkpoint(path: Path, marker: Path) -> None:
    """A zip-format ``.pt`` whose pickle creates ``marker`` when unpickled with ``weights_only=False``."""
    import torch

    class RunsCode:
        def __reduce__(self):
            return (exec, (f"open({str(marker)!r}, 'w').write('ran')",))

    torch.save({"model": RunsCode(), "train_args": {}}, path)


def flip_one_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def nested_folders(root: Path, depth: int, file_name: str, data: bytes, folder: str = "d") -> None:
    """``root/d/d/.../d/file_name`` ``depth`` folders deep, made with folder descriptors (no recursion)."""
    descriptor = os.open(root, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir(folder, dir_fd=descriptor)
            inner = os.open(folder, os.O_RDONLY, dir_fd=descriptor)
            os.close(descriptor)
            descriptor = inner
        file_descriptor = os.open(file_name, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=descriptor)
        os.write(file_descriptor, data)
        os.close(file_descriptor)
    finally:
        os.close(descriptor)


def raw_file(folder: Path, name: bytes, data: bytes) -> Path:
    """Write ``data`` under a file name given as bytes (which need not be UTF-8); return its path."""
    path = os.path.join(os.fsencode(folder), name)
    with open(path, "wb") as stream:
        stream.write(data)
    return Path(os.fsdecode(path))


def remove_nested_folders(root: Path, depth: int, file_name: str, folder: str = "d") -> None:
    """Undo :func:`nested_folders` bottom-up (``shutil.rmtree`` recurses, and pytest's cleanup with it)."""
    descriptors = [os.open(root, os.O_RDONLY)]
    try:
        for _ in range(depth):
            descriptors.append(os.open(folder, os.O_RDONLY, dir_fd=descriptors[-1]))
        os.unlink(file_name, dir_fd=descriptors[-1])
        os.close(descriptors.pop())
        while len(descriptors) > 0:
            os.rmdir(folder, dir_fd=descriptors[-1])
            os.close(descriptors.pop())
    finally:
        for descriptor in descriptors:
            os.close(descriptor)
