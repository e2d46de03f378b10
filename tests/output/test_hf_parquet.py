"""``vtondata export --layout hf-parquet``: parquet and a card that ``datasets`` loads as the Hub would."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image
from typer.testing import CliRunner

from tests.output.synthetic import read_shard
from vtondata.cli import app
from vtondata.output.export import export_dataset
from vtondata.output.reader import open as open_dataset

ACCEPTED_KEYS = ["000000", "000001", "000003", "000004", "000005", "000006"]


def _load(dest: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import datasets

    loaded = datasets.load_dataset("parquet", data_dir=str(dest / "data"), cache_dir=str(tmp_path / "hf"))
    return datasets, loaded


def test_parquet_rows_hold_the_shard_bytes_and_index_columns(
    dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, _ = dataset
    dest = tmp_path / "hub"
    result = export_dataset(out, dest, "hf-parquet")
    assert result.samples == {"train": 6}
    assert sorted(p.name for p in (dest / "data").iterdir()) == [
        "train-00000-of-00002.parquet",
        "train-00001-of-00002.parquet",
    ]
    datasets, loaded = _load(dest, tmp_path, monkeypatch)
    train = loaded["train"]
    assert train["key"] == ACCEPTED_KEYS
    assert isinstance(train.features["person"], datasets.Image)
    assert isinstance(train.features["agnostic_mask"], datasets.Image)
    shard_samples = read_shard(out / "shards" / "train-000000.tar") + read_shard(
        out / "shards" / "train-000001.tar"
    )
    raw = train.cast_column("person", datasets.Image(decode=False)).cast_column(
        "agnostic_mask", datasets.Image(decode=False)
    )
    index = open_dataset(out)
    for row, sample in zip(raw, shard_samples, strict=True):
        assert row["person"]["bytes"] == sample["person.jpg"]
        assert row["agnostic_mask"]["bytes"] == sample["agnostic_mask.png"]
        assert row["agnostic_mask"]["path"] == f"{sample['__key__']}.agnostic_mask.png"
        assert row["pose"] == sample["pose.json"].decode()
        expected = index.row(sample["__key__"])
        assert row["source_path"] == expected["source_path"]
        assert row["pose.conf_min"] == pytest.approx(expected["stats"]["pose.conf_min"])
    decoded = train[0]["agnostic_mask"]
    mask = np.asarray(Image.open(io.BytesIO(shard_samples[0]["agnostic_mask.png"])))
    assert np.array_equal(np.asarray(decoded), mask)
    assert "cloth" not in train.column_names, "no sample had a cloth image"


def test_dataset_card_front_matter_names_features_splits_counts_and_recipe(dataset, tmp_path: Path) -> None:
    out, _ = dataset
    dest = tmp_path / "hub"
    export_dataset(out, dest, "hf-parquet")
    text = (dest / "README.md").read_text()
    assert text.startswith("---\n")
    front = yaml.safe_load(text.split("---\n")[1])
    manifest = open_dataset(out).manifest
    assert front["license"] == "unknown"
    assert {"name": "person", "dtype": "image"} in front["dataset_info"]["features"]
    assert {"name": "key", "dtype": "string"} in front["dataset_info"]["features"]
    assert front["dataset_info"]["splits"] == [{"name": "train", "num_examples": 6}]
    assert front["configs"][0]["data_files"] == [{"split": "train", "path": "data/train-*"}]
    assert front["vtondata"]["recipe"] == {"name": "offline", "sha256": manifest["recipe"]["sha256"]}
    assert front["vtondata"]["counts"]["rejected"] == 2
    assert manifest["recipe"]["sha256"] in text.split("---\n", 2)[2]


def test_cli_writes_hf_parquet_and_refuses_an_unknown_layout(dataset, tmp_path: Path) -> None:
    out, _ = dataset
    runner = CliRunner()
    written = runner.invoke(app, ["export", str(out), str(tmp_path / "hub"), "--layout", "hf-parquet"])
    assert written.exit_code == 0, written.output
    assert (tmp_path / "hub" / "README.md").is_file()
    refused = runner.invoke(app, ["export", str(out), str(tmp_path / "x"), "--layout", "dresscode"])
    assert refused.exit_code == 2 and "hf-parquet" in refused.output
