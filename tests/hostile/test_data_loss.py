"""Data loss: nothing vtondata did not write is ever overwritten or deleted; one build per OUT at a time."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from tests.hostile import corpus
from tests.hostile.conftest import build_cli

FOREIGN = {
    "manifest.json": b'{"made_by": "another tool"}',
    "report.html": b"<html>another tool's report</html>",
    "config.yaml": b"another: tool\n",
}


def _one_photo_raw(folder):
    folder.mkdir()
    (folder / "person.jpg").write_bytes(corpus.person_jpeg())
    return folder


@pytest.mark.parametrize("overwrite", [False, True])
def test_build_never_writes_into_a_folder_holding_another_tools_files(tmp_path, overwrite):
    raw, out = _one_photo_raw(tmp_path / "raw"), tmp_path / "out"
    out.mkdir()
    for name, data in FOREIGN.items():
        (out / name).write_bytes(data)
    result = build_cli(raw, out, *(["--overwrite"] if overwrite else []))
    assert result.exit_code == 3, result.output
    assert "not a vtondata output" in result.output
    assert {path.name: path.read_bytes() for path in out.iterdir()} == FOREIGN


def test_overwrite_removes_only_what_vtondata_wrote(built):
    raw, out = built
    foreign_shard = out / "shards" / "val-000000.tar"
    foreign_shard.write_bytes(b"another tool's shard")
    (out / "notes.txt").write_text("mine")
    result = build_cli(raw, out, "--overwrite", "--set", "mask.min_keypoint_confidence=0.45")
    assert result.exit_code == 0, result.output
    assert foreign_shard.read_bytes() == b"another tool's shard"
    assert (out / "notes.txt").read_text() == "mine"
    manifest = json.loads((out / "manifest.json").read_text())
    assert [shard["path"] for shard in manifest["shards"]] == [
        "shards/train-000000.tar",
        "shards/train-000001.tar",
    ]


def test_a_second_build_into_a_locked_out_stops_with_a_clear_message(tmp_path):
    from vtondata.output.lock import lock_path, output_lock

    raw, out = _one_photo_raw(tmp_path / "raw"), tmp_path / "out"
    with output_lock(out) as holder:
        result = build_cli(raw, out)
        assert result.exit_code == 7, result.output
        text = " ".join(result.output.split())
        assert f"in use by another build (pid {holder.pid} on {socket.gethostname()}" in text
        assert not (out / "plan.json").exists()
    assert not lock_path(out).exists()


def test_two_concurrent_locks_exclude_each_other(tmp_path):
    from vtondata.errors import OutputError
    from vtondata.output.lock import output_lock

    with (
        output_lock(tmp_path),
        pytest.raises(OutputError, match="in use by another build"),
        output_lock(tmp_path),
    ):
        pass


def test_a_stale_lock_from_a_dead_process_is_taken_over(tmp_path):
    from vtondata.output.lock import lock_path, output_lock, read_holder

    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    dead_pid = int(finished.stdout)
    lock = lock_path(tmp_path)
    lock.write_text(json.dumps({"pid": dead_pid, "host": socket.gethostname(), "started_utc": "then"}))
    with output_lock(tmp_path) as holder:
        assert holder.pid == os.getpid()
        assert read_holder(lock) == holder
    assert not lock.exists()


def test_a_lock_from_another_host_is_never_taken_over(tmp_path):
    from vtondata.errors import OutputError
    from vtondata.output.lock import lock_path, output_lock

    lock = lock_path(tmp_path)
    lock.write_text(json.dumps({"pid": 1, "host": "another-machine", "started_utc": "then"}))
    refused = r"pid 1 on another-machine.*delete .*\.vtondata\.lock"
    with pytest.raises(OutputError, match=refused), output_lock(tmp_path):
        pass
    assert lock.exists()
