"""verify_dataset passes a good dataset and names each kind of corruption in one clear line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from webdataset import TarWriter

from tests.output.synthetic import read_shard
from vtondata.output import layout
from vtondata.output.shards import ChunkRecord, file_size_and_sha256
from vtondata.output.verify import verify_dataset

Members = list[dict[str, Any]]


def rewrite_shard(out: Path, chunk: int, edit: Callable[[Members], Members]) -> None:
    """Replace a shard's samples and record its new size, hash and count in the manifest.

    Keeping the manifest consistent isolates the sample-level check under test.
    """
    path = layout.shard_path(out, "train", chunk)
    samples = [
        {k: v for k, v in s.items() if k == "__key__" or not k.startswith("__")} for s in read_shard(path)
    ]
    samples = edit(samples)
    with open(path, "wb") as stream:
        writer = TarWriter(stream, encoder=False, mtime=0)
        for sample in samples:
            writer.write(sample)
        writer.close()
    manifest_file = layout.manifest_path(out)
    manifest = json.loads(manifest_file.read_text())
    size, digest = file_size_and_sha256(path)
    manifest["shards"][chunk].update(bytes=size, sha256=digest, samples=len(samples))
    manifest_file.write_text(json.dumps(manifest))


def png(array: np.ndarray) -> bytes:
    ok, buffer = cv2.imencode(".png", array)
    assert ok
    return buffer.tobytes()


def edit_sample(key: str, change: Callable[[dict[str, Any]], None]) -> Callable[[Members], Members]:
    def edit(samples: Members) -> Members:
        for sample in samples:
            if sample["__key__"] == key:
                change(sample)
        return samples

    return edit


def mask_with_a_seven(sample: dict[str, Any]) -> None:
    mask = cv2.imdecode(np.frombuffer(sample["agnostic_mask.png"], np.uint8), cv2.IMREAD_UNCHANGED)
    mask[0, 0] = 7
    sample["agnostic_mask.png"] = png(mask)


def copy_of(key: str, new_key: str) -> Callable[[Members], Members]:
    def edit(samples: Members) -> Members:
        source = next(sample for sample in samples if sample["__key__"] == key)
        return [*samples, {**source, "__key__": new_key}]

    return edit


def meta_with(**changes: Any) -> Callable[[dict[str, Any]], None]:
    def change(sample: dict[str, Any]) -> None:
        sample["meta.json"] = json.dumps({**json.loads(sample["meta.json"]), **changes}).encode()

    return change


def test_a_good_dataset_verifies(dataset: tuple[Path, list[ChunkRecord]]) -> None:
    out, _ = dataset
    report = verify_dataset(out)
    assert report.problems == []
    assert report.ok
    assert report.counts == {"shards": 2, "samples_read": 6, "index_rows": 8, "accepted": 6, "rejected": 2}


def test_flipped_byte_in_a_tar(dataset: tuple[Path, list[ChunkRecord]]) -> None:
    out, records = dataset
    path = out / records[0].shard
    data = bytearray(path.read_bytes())
    data[700] ^= 0x01
    path.write_bytes(bytes(data))
    report = verify_dataset(out)
    assert not report.ok
    assert any(p.startswith("shards/train-000000.tar: sha256 ") and "differs" in p for p in report.problems)


def test_deleted_shard(dataset: tuple[Path, list[ChunkRecord]]) -> None:
    out, records = dataset
    (out / records[1].shard).unlink()
    report = verify_dataset(out)
    assert report.problems == [
        "shards/train-000001.tar: listed in the manifest but missing",
        "shards/train-000001.tar: 2 accepted index rows not found in any shard (000005, 000006)",
    ]


@pytest.mark.parametrize(
    ("chunk", "edit", "expected"),
    [
        (0, copy_of("000000", "000099"), "key 000099 is in shards/train-000000.tar but has no index row"),
        (0, copy_of("000000", "000002"), "key 000002 is rejected (pose.no_person) but present in shards/"),
        (1, copy_of("000005", "000000"), "key 000000 appears 2 times in shards"),
        (
            0,
            edit_sample("000001", mask_with_a_seven),
            "shards/train-000000.tar: sample 000001: agnostic_mask.png holds values other than 0 and 255: 7",
        ),
        (
            0,
            edit_sample(
                "000001", lambda s: s.update({"agnostic_mask.png": png(np.zeros((64, 48, 3), np.uint8))})
            ),
            "agnostic_mask.png is 3-channel uint8, expected single-channel uint8",
        ),
        (
            0,
            edit_sample(
                "000001", lambda s: s.update({"garment_mask.png": png(np.zeros((32, 48), np.uint8))})
            ),
            "garment_mask.png is 48x32 but person.jpg is 48x64",
        ),
        (
            0,
            edit_sample("000003", lambda s: s.pop("pose.png")),
            "sample 000003: missing required member pose.png",
        ),
        (
            0,
            edit_sample("000003", lambda s: s.update({"depth.png": b"x"})),
            "sample 000003: unknown member depth.png",
        ),
        (0, edit_sample("000004", meta_with(key="000005")), "sample 000004: meta.json names key '000005'"),
        (
            0,
            edit_sample("000004", meta_with(elapsed_s=1.5)),
            "sample 000004: meta.json $: Additional properties",
        ),
        (0, edit_sample("000004", meta_with(category="hat")), "sample 000004: meta.json $.category: 'hat'"),
    ],
)
def test_each_corruption_is_named(
    dataset: tuple[Path, list[ChunkRecord]], chunk: int, edit: Callable[[Members], Members], expected: str
) -> None:
    out, _ = dataset
    rewrite_shard(out, chunk, edit)
    report = verify_dataset(out)
    assert not report.ok
    assert [p for p in report.problems if expected in p], report.problems


def test_sample_count_differs_from_the_manifest(dataset: tuple[Path, list[ChunkRecord]]) -> None:
    out, _ = dataset
    rewrite_shard(out, 1, lambda samples: samples[:1])
    manifest_file = layout.manifest_path(out)
    manifest = json.loads(manifest_file.read_text())
    manifest["shards"][1]["samples"] = 2
    manifest_file.write_text(json.dumps(manifest))
    problems = verify_dataset(out).problems
    assert "shards/train-000001.tar: holds 1 samples but the manifest records 2" in problems
    assert "shards/train-000001.tar: 1 accepted index rows not found in any shard (000006)" in problems


def test_counts_that_do_not_add_up(dataset: tuple[Path, list[ChunkRecord]]) -> None:
    out, _ = dataset
    manifest_file = layout.manifest_path(out)
    manifest = json.loads(manifest_file.read_text())
    manifest["counts"]["inputs"] = 9
    manifest_file.write_text(json.dumps(manifest))
    problems = verify_dataset(out).problems
    assert "manifest counts 9 inputs but 6 accepted + 2 rejected" in problems
    assert "index has 8 rows but the manifest counts 9 inputs" in problems


def test_missing_index_rows(dataset: tuple[Path, list[ChunkRecord]]) -> None:
    out, _ = dataset
    layout.index_path(out, "train", 1).unlink()
    problems = verify_dataset(out).problems
    assert "index has 5 rows but the manifest counts 8 inputs" in problems
    assert "key 000005 is in shards/train-000001.tar but has no index row" in problems


def test_missing_or_invalid_manifest(dataset: tuple[Path, list[ChunkRecord]]) -> None:
    out, _ = dataset
    manifest_file = layout.manifest_path(out)
    manifest = json.loads(manifest_file.read_text())
    manifest_file.write_text(json.dumps({**manifest, "schema_version": "1.9.0", "inputs_sha256": 7}))
    assert verify_dataset(out).problems == ["manifest.json: $.inputs_sha256: 7 is not of type 'string'"]
    manifest_file.write_text(json.dumps({**manifest, "schema_version": "one"}))
    assert verify_dataset(out).problems == ["manifest.json: schema_version 'one' is not a semantic version"]
    manifest_file.write_text(json.dumps({**manifest, "schema_version": "2.0.0"}))
    assert (
        verify_dataset(out)
        .problems[0]
        .startswith("manifest.json: has schema_version 2.0.0, newer than this vtondata reads")
    )
    manifest_file.unlink()
    report = verify_dataset(out)
    assert not report.ok and report.problems[0].startswith("manifest.json: missing")


def test_unreadable_index_file(dataset: tuple[Path, list[ChunkRecord]]) -> None:
    out, _ = dataset
    layout.index_path(out, "train", 0).write_bytes(b"not parquet")
    problems = verify_dataset(out).problems
    assert problems[0].startswith("index: unreadable parquet")
