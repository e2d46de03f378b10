"""Path rules of OUT/ and the atomic write every output file goes through."""

from __future__ import annotations

from pathlib import Path

import pytest

from vtondata.output import layout


def test_chunk_files_share_one_stem(tmp_path: Path) -> None:
    assert layout.shard_path(tmp_path, "train", 3) == tmp_path / "shards" / "train-000003.tar"
    assert layout.index_path(tmp_path, "train", 3) == tmp_path / "index" / "train-000003.parquet"
    assert layout.marker_path(tmp_path, "train", 3) == tmp_path / "chunks" / "train-000003.json"
    assert layout.shard_relpath("val", 12) == "shards/val-000012.tar"
    assert layout.manifest_path(tmp_path).name == "manifest.json"
    assert layout.plan_path(tmp_path).name == "plan.json"
    assert layout.config_path(tmp_path).name == "config.yaml"


def test_parse_chunk_stem_inverts_chunk_stem() -> None:
    assert layout.parse_chunk_stem(layout.chunk_stem("train", 1234567)) == ("train", 1234567)
    assert layout.parse_chunk_stem("holiday-photos") is None
    assert layout.parse_chunk_stem("train-12") is None


def test_atomic_path_replaces_only_on_success(tmp_path: Path) -> None:
    final = tmp_path / "sub" / "file.json"
    layout.write_bytes_atomic(final, b"first")
    with pytest.raises(RuntimeError), layout.atomic_path(final) as temporary:
        temporary.write_bytes(b"half writ")
        raise RuntimeError("crash while writing")
    assert final.read_bytes() == b"first"
    assert sorted(path.name for path in final.parent.iterdir()) == ["file.json"]


def test_temporary_names_are_hidden_and_found(tmp_path: Path) -> None:
    final = layout.shard_path(tmp_path, "train", 0)
    with pytest.raises(KeyboardInterrupt), layout.atomic_path(final) as temporary:
        temporary.write_bytes(b"partial tar")
        assert layout.is_temporary(temporary)
        assert layout.temporary_files(tmp_path) == [temporary]
        assert layout.chunk_files(tmp_path) == []
        raise KeyboardInterrupt
    assert not final.exists()


def test_chunk_files_ignore_foreign_names(tmp_path: Path) -> None:
    (tmp_path / "shards").mkdir()
    (tmp_path / "shards" / "notes.txt").write_text("mine")
    (tmp_path / "shards" / "holiday.tar").write_bytes(b"")
    layout.write_bytes_atomic(layout.marker_path(tmp_path, "train", 1), b"{}")
    assert layout.chunk_files(tmp_path) == [layout.marker_path(tmp_path, "train", 1)]
    assert layout.completed_stems(tmp_path) == ["train-000001"]
