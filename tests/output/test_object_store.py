"""An output in object storage (moto's S3 server on localhost): write order, markers, lock, resume rules."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import pytest

from tests.output.synthetic import REJECTED, encoded_chunk
from tests.servers import moto_server
from vtondata.errors import InputError, OutputError, ResumeMismatch
from vtondata.output.destination import ObjectStoreOutput
from vtondata.output.object_store import local_copy, remote_lock
from vtondata.output.reader import dataset_folder
from vtondata.runners.resume import Plan
from vtondata.storage import locate, use_storage_options

PLAN = Plan(
    recipe_sha256="r" * 64,
    inputs_sha256="i" * 64,
    category="upper",
    split="train",
    chunk_size=5,
    num_chunks=2,
    num_inputs=8,
    producer_version="0.1.0",
)


@pytest.fixture(scope="module")
def server():
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def bucket(server, request, monkeypatch, tmp_path):
    monkeypatch.setenv("VTONDATA_CACHE", str(tmp_path / "cache"))
    use_storage_options({"endpoint_url": server, "key": "testing", "secret": "testing"})
    name = f"b{hashlib.sha256(request.node.name.encode()).hexdigest()[:12]}"
    location = locate(f"s3://{name}")
    location.fs.mkdir(name)
    yield location
    use_storage_options({})


def _chunks():
    return [
        encoded_chunk(range(0, 5), chunk=0, rejected=REJECTED),
        encoded_chunk(range(5, 8), chunk=1, rejected=REJECTED),
    ]


def test_chunks_are_written_tar_index_marker_and_resume_skips_only_complete_ones(bucket):
    output = ObjectStoreOutput(bucket.url_of("out"))
    assert output.prepare(PLAN, overwrite=False) == set()
    writer = output.chunk_writer("train")
    first, second = _chunks()
    record = writer(0, first)
    fs = bucket.fs
    names = sorted(path.rsplit("/", 1)[-1] for path in fs.find(bucket.path("out")))
    assert names == ["plan.json", "train-000000.json", "train-000000.parquet", "train-000000.tar"]
    assert json.loads(fs.cat_file(bucket.path("out/chunks/train-000000.json")))["sha256"] == record.sha256
    # A worker that died after its tar: no marker, so not complete and not read.
    writer(1, second)
    fs.rm_file(bucket.path("out/chunks/train-000001.json"))
    assert output.prepare(PLAN, overwrite=False) == {0}
    copy = dataset_folder(bucket.url_of("out"))
    assert sorted(path.name for path in (copy / "shards").iterdir()) == ["train-000000.tar"]


def test_a_tar_that_does_not_match_its_marker_is_redone(bucket):
    output = ObjectStoreOutput(bucket.url_of("out"))
    output.prepare(PLAN, overwrite=False)
    first, _ = _chunks()
    output.chunk_writer("train")(0, first)
    bucket.fs.pipe_file(bucket.path("out/shards/train-000000.tar"), b"truncated")
    assert output.prepare(PLAN, overwrite=False) == set()
    assert not bucket.fs.exists(bucket.path("out/chunks/train-000000.json"))


def test_another_plan_is_refused_unless_overwrite_which_keeps_foreign_objects(bucket):
    output = ObjectStoreOutput(bucket.url_of("out"))
    output.prepare(PLAN, overwrite=False)
    output.chunk_writer("train")(0, _chunks()[0])
    bucket.fs.pipe_file(bucket.path("out/notes.txt"), b"mine")
    changed = replace(PLAN, category="lower")
    with pytest.raises(ResumeMismatch, match="category"):
        output.prepare(changed, overwrite=False)
    assert output.prepare(changed, overwrite=True) == set()
    left = sorted(path.rsplit("/", 1)[-1] for path in bucket.fs.find(bucket.path("out")))
    assert left == ["notes.txt", "plan.json"]


def test_a_location_vtondata_did_not_write_is_refused_untouched(bucket):
    bucket.fs.pipe_file(bucket.path("data/photo.jpg"), b"not ours")
    output = ObjectStoreOutput(bucket.url_of("data"))
    with pytest.raises(InputError, match="not a vtondata output"):
        output.refuse_foreign()
    with pytest.raises(InputError, match="not a vtondata output"):
        output.prepare(PLAN, overwrite=True)
    assert [p.rsplit("/", 1)[-1] for p in bucket.fs.find(bucket.path("data"))] == ["photo.jpg"]


def test_the_lock_object_admits_one_build_and_is_removed_after(bucket):
    location = locate(bucket.url_of("out"))
    with remote_lock(location):
        with pytest.raises(OutputError, match="in use by another build"), remote_lock(location):
            pass
        assert bucket.fs.exists(bucket.path("out/.vtondata.lock"))
    assert not bucket.fs.exists(bucket.path("out/.vtondata.lock"))


def test_local_copy_follows_the_location(bucket):
    output = ObjectStoreOutput(bucket.url_of("out"))
    output.prepare(PLAN, overwrite=False)
    first, second = _chunks()
    output.chunk_writer("train")(0, first)
    copy = local_copy(bucket.url_of("out"))
    assert (copy / "chunks" / "train-000000.json").is_file()
    output.chunk_writer("train")(1, second)
    bucket.fs.rm_file(bucket.path("out/chunks/train-000000.json"))
    copy = local_copy(bucket.url_of("out"))
    assert sorted(path.name for path in (copy / "shards").iterdir()) == ["train-000001.tar"]


def test_a_lock_left_by_a_dead_build_on_this_host_is_taken_over(bucket):
    import socket
    import subprocess
    import sys

    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    dead = {"pid": int(finished.stdout), "host": socket.gethostname(), "started_utc": "2026-01-01T00:00:00Z"}
    elsewhere = {**dead, "host": "another-machine"}
    location = locate(bucket.url_of("out"))
    bucket.fs.pipe_file(bucket.path("out/.vtondata.lock"), json.dumps(elsewhere).encode())
    with pytest.raises(OutputError, match="another-machine"), remote_lock(location):
        pass
    bucket.fs.pipe_file(bucket.path("out/.vtondata.lock"), json.dumps(dead).encode())
    with remote_lock(location):
        held = json.loads(bucket.fs.cat_file(bucket.path("out/.vtondata.lock")))
        assert held["pid"] != dead["pid"]
    assert not bucket.fs.exists(bucket.path("out/.vtondata.lock"))
