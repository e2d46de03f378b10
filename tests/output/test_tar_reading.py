"""The reader's own tar reading (``tarfile``) against webdataset's on the same tars: good shards, member
subsets, and tars with the oddities webdataset has rules for (directories, metadata names, names
without a dot, upper-case extensions, a member twice, a truncated stream)."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from tests.output.synthetic import encoded_chunk
from vtondata.output import layout
from vtondata.output.reader import iter_shard
from vtondata.output.shards import write_chunk


def _both(path: Path, members=None) -> tuple[list, list]:
    ours = [(s.key, s.members) for s in iter_shard(path, members, decode=False)]
    theirs = [(s.key, s.members) for s in iter_shard(path, members, decode=False, by_webdataset=True)]
    return ours, theirs


def _tar(path: Path, entries: list[tuple[str, bytes | None]]) -> Path:
    """A tar of ``(name, data)`` entries; ``None`` data makes a directory."""
    with tarfile.open(path, "w") as tar:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return path


def test_a_built_shard_reads_the_same_both_ways(tmp_path: Path) -> None:
    write_chunk(tmp_path, "train", 0, encoded_chunk(range(5), rejected={1: "pose.no_person"}))
    path = layout.shard_path(tmp_path, "train", 0)
    ours, theirs = _both(path)
    assert ours == theirs and len(ours) == 4 and all(members for _, members in ours)
    ours, theirs = _both(path, {"meta.json", "agnostic_mask.png"})
    assert ours == theirs and {name for _, members in ours for name in members} == {
        "meta.json",
        "agnostic_mask.png",
    }


def test_odd_entries_are_skipped_or_kept_as_webdataset_does(tmp_path: Path) -> None:
    path = _tar(
        tmp_path / "odd.tar",
        [
            ("__meta__.json", b"{}"),
            ("__index__/x.json", b"0"),
            ("folder", None),
            ("folder/a.meta.json", b"1"),
            ("folder/a.PERSON.JPG", b"2"),
            ("noextension", b"3"),
            ("b.mask.png", b"4"),
            ("a.late.json", b"5"),
        ],
    )
    ours, theirs = _both(path)
    assert ours == theirs
    assert ours == [
        ("__meta__", {"json": b"{}"}),
        ("folder/a", {"meta.json": b"1", "person.jpg": b"2"}),
        ("b", {"mask.png": b"4"}),
        ("a", {"late.json": b"5"}),
    ]


def test_a_member_twice_in_one_sample_is_an_error_both_ways(tmp_path: Path) -> None:
    path = _tar(tmp_path / "twice.tar", [("a.meta.json", b"1"), ("a.meta.json", b"2")])
    with pytest.raises(ValueError, match="duplicate file name"):
        list(iter_shard(path, decode=False))
    with pytest.raises(ValueError, match="duplicate file name"):
        list(iter_shard(path, decode=False, by_webdataset=True))


def test_a_truncated_tar_fails_after_the_same_samples_both_ways(tmp_path: Path) -> None:
    write_chunk(tmp_path, "train", 0, encoded_chunk(range(6)))
    whole = layout.shard_path(tmp_path, "train", 0).read_bytes()
    cut = tmp_path / "cut.tar"
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    read: dict[bool, list[str]] = {}
    for by_webdataset in (False, True):
        read[by_webdataset] = []
        with pytest.raises(tarfile.TarError):
            for sample in iter_shard(cut, decode=False, by_webdataset=by_webdataset):
                read[by_webdataset].append(sample.key)
    assert read[False] == read[True] and 0 < len(read[False]) < 6
