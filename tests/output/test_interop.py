"""The shards open with the readers users already have: Hugging Face ``datasets`` and Ray Data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.output.synthetic import read_shard
from vtondata.output.format import decode_grey

ACCEPTED_KEYS = ["000000", "000001", "000003", "000004", "000005", "000006"]
"""Accepted samples of the ``dataset`` fixture, in shard order."""


def _shards(out: Path) -> list[str]:
    return [str(out / "shards" / "train-000000.tar"), str(out / "shards" / "train-000001.tar")]


def test_hugging_face_webdataset_builder_reads_every_member(
    dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import datasets

    out, _ = dataset
    loaded = datasets.load_dataset(
        "webdataset", data_files={"train": _shards(out)}, split="train", cache_dir=str(tmp_path / "hf")
    )
    assert loaded["__key__"] == ACCEPTED_KEYS
    assert isinstance(loaded.features["agnostic_mask.png"], datasets.Image)
    expected = read_shard(out / "shards" / "train-000000.tar")[0]
    first = loaded[0]
    mask = np.asarray(first["agnostic_mask.png"])
    assert mask.shape == (64, 48) and set(np.unique(mask).tolist()) == {0, 255}
    assert np.array_equal(mask, decode_grey(expected["agnostic_mask.png"]))
    assert (
        first["pose.json"]["canonical"]["keypoints_px"]
        == json.loads(expected["pose.json"])["canonical"]["keypoints_px"]
    )
    assert first["meta.json"]["key"] == "000000"


@pytest.mark.slow
def test_ray_data_reads_every_sample_with_its_bytes(dataset) -> None:
    import ray

    out, _ = dataset
    ray.init(address="local", num_cpus=1, include_dashboard=False, log_to_driver=False)
    try:
        rows = ray.data.read_webdataset(_shards(out), decoder=None).take_all()
    finally:
        ray.shutdown()
    shard_samples = read_shard(out / "shards" / "train-000000.tar") + read_shard(
        out / "shards" / "train-000001.tar"
    )
    by_key = {row["__key__"]: row for row in rows}
    assert sorted(by_key) == ACCEPTED_KEYS
    for sample in shard_samples:
        row = by_key[sample["__key__"]]
        for member in ("person.jpg", "agnostic_mask.png", "pose.json", "meta.json"):
            assert row[member] == sample[member]
