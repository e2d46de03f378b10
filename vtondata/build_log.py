"""Keep library and worker chatter off the console during a build: it goes to ``OUT/logs/build.log``.

The noise comes from three places, so the capture covers all three: Python
loggers and warnings (Ray, absl, Pillow, protobuf deprecations), writes to
``sys.stdout`` / ``sys.stderr``, and C++ code that writes straight to file
descriptors 1 and 2 (TensorFlow Lite and MediaPipe through glog, Ray's core
worker). Everything is restored on exit, also after an exception, so the error
that stopped a build is still shown where the user looks.

A console that must keep drawing on the terminal while the capture runs
writes to :func:`terminal_stream`, opened before the capture starts.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from vtondata.output.layout import output_write_error

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def terminal_stream() -> TextIO:
    """A text stream to where ``sys.stderr`` points now, unaffected by a later capture.

    When ``sys.stderr`` is the process's file descriptor 2 (a terminal or a
    pipe), that descriptor is duplicated, since the capture re-points
    descriptor 2 at the log; the caller closes the returned stream. Any other
    ``sys.stderr`` (a test runner's buffer, a notebook's stream) is returned
    as it is: the capture replaces ``sys.stderr``, it does not write into it.
    """
    try:
        descriptor = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return sys.stderr
    if descriptor != 2:
        return sys.stderr
    sys.stderr.flush()
    return open(os.dup(2), "w", buffering=1, encoding=sys.stderr.encoding or "utf-8", errors="replace")


@contextlib.contextmanager
def capture_build_log(path: Path) -> Iterator[Path]:
    """Send every log record, warning and console write of this process to ``path``.

    The log is appended to, so a resumed build, or one refused by the resume
    check, keeps the earlier runs' lines.

    Ray workers' output reaches the log too, as the Ray runner forwards it to
    the driver's ``sys.stderr``. Python log records are kept from level INFO. A log that cannot
    be opened (its folder is a file, or not writable) raises
    :class:`vtondata.errors.OutputError` on entry, before any of the work it would record.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        opened = open(path, "a", buffering=1, encoding="utf-8", errors="replace")  # noqa: SIM115  # closed by the with below
    except OSError as error:
        raise output_write_error(path, error) from error
    with opened as log:
        _flush_standard_streams()
        saved_descriptors = {fd: os.dup(fd) for fd in (1, 2)}
        root = logging.getLogger()
        saved_handlers, saved_level = root.handlers[:], root.level
        handler = logging.StreamHandler(log)
        handler.setFormatter(logging.Formatter(_FORMAT))
        try:
            for fd in saved_descriptors:
                os.dup2(log.fileno(), fd)
            root.handlers = [handler]
            root.setLevel(min(saved_level or logging.WARNING, logging.INFO))
            logging.captureWarnings(True)
            with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
                yield path
        finally:
            logging.captureWarnings(False)
            root.handlers = saved_handlers
            root.setLevel(saved_level)
            _flush_standard_streams()
            log.flush()
            for fd, saved in saved_descriptors.items():
                os.dup2(saved, fd)
                os.close(saved)


def _flush_standard_streams() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        if stream is not None:
            with contextlib.suppress(ValueError, OSError):
                stream.flush()
