"""Hand the heap memory a chunk freed back to the operating system once the chunk is written.

A chunk's samples (decoded photos, evidence layers, encoded members) are all
freed when it is written, but glibc's allocator keeps freed blocks in its
arenas, one per thread that allocated them; with OpenCV, MediaPipe and numpy
allocating from several threads, the resident size creeps up chunk after
chunk although nothing is kept. ``malloc_trim(0)`` returns those free pages.
Where the C library is not glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return getattr(libc, "malloc_trim", None)


def release_freed_memory() -> None:
    """Return free heap pages to the operating system (glibc ``malloc_trim``); no-op elsewhere."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
