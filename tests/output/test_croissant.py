"""``OUT/croissant.json``: valid Croissant 1.0 that ``mlcroissant`` reads back record by record."""

from __future__ import annotations

import json

import numpy as np

from tests.output.synthetic import read_shard
from vtondata.output.croissant import write_croissant
from vtondata.output.format import decode_grey
from vtondata.output.reader import open as open_dataset

LEFT_FOR_THE_PUBLISHER = {"license", "citeAs"}
"""Recommended properties only the person publishing the photos can fill in."""


def test_mlcroissant_validates_and_reads_the_index_and_the_masks(dataset) -> None:
    import mlcroissant as mlc

    out, _ = dataset
    path = write_croissant(out)
    assert path == out / "croissant.json"
    loaded = mlc.Dataset(jsonld=str(path))
    issues = loaded.metadata.ctx.issues
    assert not issues.errors
    assert all(any(name in warning for name in LEFT_FOR_THE_PUBLISHER) for warning in issues.warnings), (
        issues.warnings
    )

    table = open_dataset(out).table
    records = list(loaded.records("index"))
    assert [record["index/key"].decode() for record in records] == table.column("key").to_pylist()
    assert [record["index/accepted"] for record in records] == table.column("accepted").to_pylist()
    codes = [record["index/reason_code"] for record in records]
    assert [code.decode() if code else None for code in codes] == table.column("reason_code").to_pylist()

    shard_samples = read_shard(out / "shards" / "train-000000.tar") + read_shard(
        out / "shards" / "train-000001.tar"
    )
    masks = {record["agnostic_mask/key"].decode(): record for record in loaded.records("agnostic_mask")}
    assert sorted(masks) == [sample["__key__"] for sample in shard_samples]
    for sample in shard_samples:
        expected = decode_grey(sample["agnostic_mask.png"])
        assert np.array_equal(np.asarray(masks[sample["__key__"]]["agnostic_mask/content"]), expected)


def test_every_shard_is_named_with_the_manifest_checksum(dataset) -> None:
    out, _ = dataset
    document = json.loads(write_croissant(out).read_text())
    manifest = open_dataset(out).manifest
    files = {
        item["contentUrl"]: item for item in document["distribution"] if item["@type"] == "cr:FileObject"
    }
    assert {path: item["sha256"] for path, item in files.items()} == {
        entry["path"]: entry["sha256"] for entry in manifest["shards"]
    }
    assert document["conformsTo"] == "http://mlcommons.org/croissant/1.0"
    assert "license" not in document
