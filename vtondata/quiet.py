"""Silence known, harmless library warnings without losing filters between threads.

``warnings.catch_warnings`` copies the process's filter list on entry and puts
the original back on exit. Before Python 3.14 that list is shared by every
thread, so two blocks that overlap in time (the local runner decodes photos in
one thread while MediaPipe runs in another) can leave one block's "ignore"
filter installed for good, or drop a filter that the other thread added
meanwhile. Two ways out, both serialised by one lock:

* :func:`ignore_always` for a warning that a library emits on every call and
  that never concerns the user (protobuf's deprecation notice under
  MediaPipe): one narrow filter, matched by message, category and emitting
  module, added once and kept;
* :func:`ignoring` for a brief call whose warning only this project should not
  see (Pillow's decompression-bomb notice, where ``ingest.max_pixels`` is the
  limit that applies): ``catch_warnings`` with the lock held, so no other
  vtondata thread swaps the list at the same time.
"""

from __future__ import annotations

import re
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

_LOCK = threading.Lock()


def ignore_always(message: str, category: type[Warning], module: str) -> None:
    """Keep an "ignore" filter for exactly this warning in the process's list.

    ``message`` and ``module`` are regular expressions matched at the start, as
    in :func:`warnings.filterwarnings`. Adding a filter resets every module's
    "warned once" record, so the filter is added only when it is missing: cheap
    to call before each use, and it comes back if a ``catch_warnings`` block
    elsewhere in the process restored a list without it.
    """
    entry = ("ignore", re.compile(message, re.IGNORECASE), category, re.compile(module), 0)
    with _LOCK:
        if entry not in warnings.filters:
            warnings.filterwarnings("ignore", message=message, category=category, module=module)


@contextmanager
def ignoring(category: type[Warning]) -> Iterator[None]:
    """Ignore ``category`` inside the block; other vtondata threads wait to change filters meanwhile.

    Hold it only around a short call (opening an image header): every
    :func:`ignore_always` and :func:`ignoring` in the process waits for it.
    """
    with _LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore", category)
        yield
