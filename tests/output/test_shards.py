"""write_chunk: tars read back by webdataset byte for byte, the bytes webdataset itself writes,
reproducible, marker written last, and no torch loaded to write them."""

from __future__ import annotations

import hashlib
import pickle
import random
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tests.output.synthetic import encoded_chunk, make_sample, read_shard
from vtondata.output import layout
from vtondata.output.shards import ChunkRecord, read_chunk_record, write_chunk


def test_shard_reads_back_byte_for_byte(tmp_path: Path) -> None:
    samples = encoded_chunk(range(10, 16), chunk=2, rejected={12: "pose.no_person"})
    write_chunk(tmp_path, "train", 2, samples)
    read = read_shard(layout.shard_path(tmp_path, "train", 2))
    accepted = [sample for sample in samples if sample.accepted]
    assert [item["__key__"] for item in read] == [sample.key for sample in accepted]
    for item, sample in zip(read, accepted, strict=True):
        members = {name: value for name, value in item.items() if not name.startswith("__")}
        assert members == sample.files


def test_same_samples_give_identical_tars(tmp_path: Path) -> None:
    samples = encoded_chunk(range(6), rejected={1: "mask.missing_joints"})
    first = write_chunk(tmp_path / "a", "train", 0, samples)
    shuffled = samples[:]
    random.Random(0).shuffle(shuffled)
    second = write_chunk(tmp_path / "b", "train", 0, shuffled)
    tar_a = layout.shard_path(tmp_path / "a", "train", 0).read_bytes()
    tar_b = layout.shard_path(tmp_path / "b", "train", 0).read_bytes()
    assert tar_a == tar_b
    assert first == second
    assert first.sha256 == hashlib.sha256(tar_a).hexdigest() and first.bytes == len(tar_a)


def test_tar_members_carry_fixed_metadata(tmp_path: Path) -> None:
    write_chunk(tmp_path, "train", 0, encoded_chunk(range(2)))
    with tarfile.open(layout.shard_path(tmp_path, "train", 0)) as tar:
        members = tar.getmembers()
    assert members[0].name == "000000.agnostic.jpg"
    assert {(m.mtime, m.uname, m.gname, m.uid, m.gid, m.mode) for m in members} == {
        (0, "vtondata", "vtondata", 0, 0, 0o444)
    }


def test_marker_counts_and_round_trip(tmp_path: Path) -> None:
    samples = encoded_chunk(
        range(5), rejected={0: "pose.no_person", 3: "pose.no_person", 4: "ingest.truncated"}
    )
    record = write_chunk(tmp_path, "train", 0, samples)
    assert record == ChunkRecord(
        chunk=0,
        shard="shards/train-000000.tar",
        samples=5,
        accepted=2,
        rejected=3,
        by_reason={"ingest.truncated": 1, "pose.no_person": 2},
        bytes=record.bytes,
        sha256=record.sha256,
    )
    assert read_chunk_record(tmp_path, "train", 0) == record
    assert read_chunk_record(tmp_path, "train", 1) is None


def test_chunk_without_accepted_samples_gets_an_empty_valid_tar(tmp_path: Path) -> None:
    samples = [make_sample(index, rejected="pose.no_person") for index in range(3)]
    record = write_chunk(tmp_path, "train", 0, samples)
    path = layout.shard_path(tmp_path, "train", 0)
    assert read_shard(path) == []
    with tarfile.open(path) as tar:
        assert tar.getmembers() == []
    assert (record.samples, record.accepted, record.rejected) == (3, 0, 3)


def test_nothing_is_written_for_an_unencoded_accepted_sample(tmp_path: Path) -> None:
    samples = encoded_chunk(range(2))
    samples[1].files.pop("meta.json")
    with pytest.raises(ValueError, match=r"lacks meta\.json"):
        write_chunk(tmp_path, "train", 0, samples)
    assert layout.chunk_files(tmp_path) == [] and layout.temporary_files(tmp_path) == []


def test_keys_must_be_dot_free(tmp_path: Path) -> None:
    samples = encoded_chunk(range(1))
    samples[0].key = "000000.v2"
    with pytest.raises(ValueError, match="free of dots"):
        write_chunk(tmp_path, "train", 0, samples)


def test_a_crash_before_the_marker_leaves_the_chunk_incomplete(tmp_path: Path, monkeypatch) -> None:
    from vtondata.output import shards

    def crash(*args, **kwargs) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(shards, "write_index", crash)
    with pytest.raises(OSError, match="disk full"):
        write_chunk(tmp_path, "train", 0, encoded_chunk(range(2)))
    assert layout.shard_path(tmp_path, "train", 0).is_file()
    assert read_chunk_record(tmp_path, "train", 0) is None
    assert layout.temporary_files(tmp_path) == []


def test_the_tar_is_byte_for_byte_the_one_webdataset_writes(tmp_path: Path) -> None:
    from webdataset.writer import TarWriter

    from vtondata.output.shards import TAR_MODE, TAR_MTIME, TAR_OWNER

    samples = encoded_chunk(range(4), rejected={2: "pose.no_person"})
    write_chunk(tmp_path, "train", 0, samples)
    reference = tmp_path / "webdataset.tar"
    with reference.open("wb") as stream:
        writer = TarWriter(
            stream, user=TAR_OWNER, group=TAR_OWNER, mode=TAR_MODE, encoder=False, mtime=TAR_MTIME
        )
        for sample in samples:
            if sample.accepted:
                writer.write({"__key__": sample.key, **sample.files})
        writer.close()
    assert layout.shard_path(tmp_path, "train", 0).read_bytes() == reference.read_bytes()


def test_a_write_that_fails_leaves_no_tar_and_raises_once(tmp_path: Path, monkeypatch) -> None:
    import tarfile as tarfile_module

    added = []

    def full_disk(self, info, fileobj=None) -> None:
        if added:
            raise OSError("disk full")
        added.append(info.name)

    monkeypatch.setattr(tarfile_module.TarFile, "addfile", full_disk)
    with pytest.raises(OSError, match="disk full"):
        write_chunk(tmp_path, "train", 0, encoded_chunk(range(2)))
    assert not layout.shard_path(tmp_path, "train", 0).exists()
    assert layout.temporary_files(tmp_path) == []


def test_writing_a_shard_loads_no_torch(tmp_path: Path) -> None:
    samples = tmp_path / "samples.pickle"
    samples.write_bytes(pickle.dumps(encoded_chunk(range(2))))
    probe = (
        "import pathlib, pickle, sys\n"
        "from vtondata.output.shards import write_chunk\n"
        f"samples = pickle.loads(pathlib.Path({str(samples)!r}).read_bytes())\n"
        f"write_chunk(pathlib.Path({str(tmp_path)!r}), 'train', 0, samples)\n"
        "print(sorted(name for name in ('torch', 'webdataset') if name in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"
    assert [item["__key__"] for item in read_shard(layout.shard_path(tmp_path, "train", 0))] == [
        "000000",
        "000001",
    ]
