"""Known library warnings are silenced without losing or leaking filters across threads."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest
from PIL import Image

from vtondata.backends.pose_mediapipe import process_quietly
from vtondata.quiet import ignore_always, ignoring

MESSAGE = r"vtondata test notice"
MODULE = r"tests\.test_quiet"


class NoticeWarning(UserWarning):
    pass


@pytest.fixture
def filters():
    """The process's filter list, put back as it was after the test."""
    saved = list(warnings.filters)
    yield warnings.filters
    warnings.filters[:] = saved


def _shown(emit) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        emit()
    return [str(item.message) for item in caught]


def test_ignore_always_hides_only_that_warning_and_is_added_once(filters):
    before = len(filters)
    for _ in range(3):
        ignore_always(MESSAGE, NoticeWarning, MODULE)
    assert len(warnings.filters) == before + 1

    def emit():
        warnings.warn("vtondata test notice: nothing to see", NoticeWarning, stacklevel=1)
        warnings.warn("another notice", NoticeWarning, stacklevel=1)
        warnings.warn("vtondata test notice as a plain UserWarning", UserWarning, stacklevel=1)

    assert _shown(emit) == ["another notice", "vtondata test notice as a plain UserWarning"]


def test_ignore_always_comes_back_after_a_block_restored_the_list(filters):
    with warnings.catch_warnings():
        ignore_always(MESSAGE, NoticeWarning, MODULE)
    # The block put back a list without the filter, as an overlapping block in another thread would.
    assert _shown(lambda: warnings.warn("vtondata test notice 1", NoticeWarning, stacklevel=1))
    ignore_always(MESSAGE, NoticeWarning, MODULE)
    assert _shown(lambda: warnings.warn("vtondata test notice 2", NoticeWarning, stacklevel=1)) == []


def test_threads_leave_the_filter_list_as_it_was_plus_the_kept_filter(filters):
    before = list(filters)
    start = threading.Barrier(8)

    def header_opener():
        start.wait()
        for _ in range(300):
            with ignoring(Image.DecompressionBombWarning):
                warnings.warn("bomb?", Image.DecompressionBombWarning, stacklevel=1)

    def model_runner():
        start.wait()
        for _ in range(300):
            ignore_always(MESSAGE, NoticeWarning, MODULE)

    threads = [threading.Thread(target=header_opener) for _ in range(4)]
    threads += [threading.Thread(target=model_runner) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    added = [entry for entry in warnings.filters if entry not in before]
    assert [(entry[0], entry[2]) for entry in added] == [("ignore", NoticeWarning)]
    assert not any(entry[2] is Image.DecompressionBombWarning for entry in warnings.filters)


def test_mediapipe_calls_hide_protobufs_notice_without_swapping_the_filter_list(monkeypatch, filters):
    """The pose thread must not enter catch_warnings while the ingest thread may be inside one."""

    class Solution:
        def process(self, image):
            # As protobuf 4.25 emits it from google/protobuf/symbol_database.py under mediapipe.
            warnings.warn_explicit(
                "SymbolDatabase.GetPrototype() is deprecated. Please use message_factory.GetMessageClass().",
                UserWarning,
                "symbol_database.py",
                55,
                module="google.protobuf.symbol_database",
            )
            return image.shape

    def refuse(*args, **kwargs):
        raise AssertionError("catch_warnings entered on the model's path")

    shown: list[str] = []
    monkeypatch.setattr(warnings, "showwarning", lambda message, *args, **kwargs: shown.append(str(message)))
    monkeypatch.setattr(warnings, "catch_warnings", refuse)
    assert process_quietly(Solution(), np.zeros((4, 4, 3), np.uint8)) == (4, 4, 3)
    assert shown == []
