"""Library chatter goes to OUT/logs/build.log during a build, whatever channel it takes."""

import logging
import os
import subprocess
import sys
import warnings

import pytest

from vtondata.build_log import capture_build_log
from vtondata.errors import OutputError


def test_every_channel_lands_in_the_log_and_nothing_on_the_console(tmp_path, capfd):
    log = tmp_path / "logs" / "build.log"
    with capture_build_log(log):
        os.write(2, b"c-level stderr line\n")
        os.write(1, b"c-level stdout line\n")
        print("python print to stdout")
        print("python print to stderr", file=sys.stderr)
        logging.getLogger("a_library").warning("library logger warning")
        logging.getLogger("a_library.module").info("library info record")
        warnings.warn("protobuf-like deprecation", DeprecationWarning, stacklevel=1)
    print("after the capture", file=sys.stderr)

    text = log.read_text()
    for line in (
        "c-level stderr line",
        "c-level stdout line",
        "python print to stdout",
        "python print to stderr",
        "library logger warning",
        "library info record",
        "protobuf-like deprecation",
    ):
        assert line in text
    console = capfd.readouterr()
    assert "after the capture" in console.err
    assert "line" not in console.out + console.err.replace("after the capture", "")


def test_streams_and_logging_are_restored_after_an_error(tmp_path, capfd):
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    with pytest.raises(RuntimeError, match="boom"), capture_build_log(tmp_path / "build.log"):
        raise RuntimeError("boom")
    assert root.handlers == handlers and root.level == level
    os.write(2, b"back on the console\n")
    assert "back on the console" in capfd.readouterr().err
    assert "back on the console" not in (tmp_path / "build.log").read_text()


def test_a_child_process_inherits_the_capture(tmp_path, capfd):
    """Ray starts its processes from the driver: what they print reaches the log, not the console."""
    log = tmp_path / "build.log"
    with capture_build_log(log):
        subprocess.run([sys.executable, "-c", "import sys; sys.stderr.write('from a child\\n')"], check=True)
    assert "from a child" in log.read_text()
    assert "from a child" not in capfd.readouterr().err


def test_a_log_that_cannot_be_opened_stops_on_entry_with_an_output_error(tmp_path):
    taken = tmp_path / "taken"
    taken.write_text("the user's file")
    entered = False
    with pytest.raises(OutputError, match="cannot write"), capture_build_log(taken / "logs" / "build.log"):
        entered = True
    assert not entered and taken.read_text() == "the user's file"
