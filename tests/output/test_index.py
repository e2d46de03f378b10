"""The parquet index: one row per input, one schema for every chunk, read back in input order."""

from __future__ import annotations

import math
from pathlib import Path

import pyarrow.parquet as pq

from tests.output.synthetic import REJECTED, make_sample
from vtondata.output import layout
from vtondata.output.index import INDEX_SCHEMA, read_index, stats_frame, write_index
from vtondata.output.shards import ChunkRecord


def test_rows_round_trip_with_rejections(dataset: tuple[Path, list[ChunkRecord]]) -> None:
    out, _ = dataset
    table = read_index(out)
    assert table.schema == INDEX_SCHEMA
    rows = table.to_pylist()
    assert [row["index"] for row in rows] == list(range(8))
    assert [row["chunk"] for row in rows] == [0] * 5 + [1] * 3
    rejected = {row["index"]: row for row in rows if not row["accepted"]}
    assert {index: row["reason_code"] for index, row in rejected.items()} == REJECTED
    assert all(
        row["shard"] is None and "synthetic rejection" in row["reason_message"] for row in rejected.values()
    )
    first = rows[0]
    expected = make_sample(0)
    assert first["key"] == "000000" and first["shard"] == "shards/train-000000.tar"
    assert first["reason_code"] is None and first["reason_message"] is None
    assert first["source_path"] == expected.source_path and first["source_sha256"] == expected.source_sha256
    assert (first["width_px"], first["height_px"]) == expected.image_size
    assert dict(first["stats"])["mask.area_ratio"] == 0.5
    assert math.isnan(dict(first["stats"])["image.blur"])
    assert dict(first["timings_s"]) == expected.timings_s


def test_every_chunk_file_has_the_same_schema(dataset: tuple[Path, list[ChunkRecord]]) -> None:
    out, _ = dataset
    for chunk in (0, 1):
        assert pq.read_schema(layout.index_path(out, "train", chunk)).remove_metadata() == INDEX_SCHEMA


def test_samples_without_image_size_or_hash_get_nulls(tmp_path: Path) -> None:
    sample = make_sample(3, rejected="ingest.unreadable")
    sample.image_size, sample.source_sha256, sample.stats = None, None, {}
    path = tmp_path / "one.parquet"
    write_index(path, [sample], "shards/train-000000.tar")
    row = pq.read_table(path).to_pylist()[0]
    assert (row["width_px"], row["height_px"], row["source_sha256"], row["shard"]) == (None, None, None, None)
    assert row["stats"] == []


def test_unfinished_chunks_are_not_read(dataset: tuple[Path, list[ChunkRecord]]) -> None:
    out, _ = dataset
    layout.marker_path(out, "train", 1).unlink()
    assert read_index(out).column("chunk").to_pylist() == [0] * 5


def test_empty_output_gives_an_empty_table(tmp_path: Path) -> None:
    table = read_index(tmp_path)
    assert table.num_rows == 0 and table.schema == INDEX_SCHEMA


def test_stats_frame_has_one_column_per_statistic(dataset: tuple[Path, list[ChunkRecord]]) -> None:
    out, _ = dataset
    frame = stats_frame(out)
    assert len(frame) == 8
    assert {"key", "accepted", "reason_code", "pose.conf_min", "mask.area_ratio", "image.blur"} <= set(frame)
    assert {"timings_s.pose", "timings_s.mask"} <= set(frame)
    assert frame["mask.area_ratio"].tolist() == [0.5] * 8
    assert frame["timings_s.pose"].iloc[3] == make_sample(3).timings_s["pose"]
    assert frame["accepted"].sum() == 6
