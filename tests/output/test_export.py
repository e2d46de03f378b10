"""``vtondata export --layout viton-hd``: the folders and pair files the catvton-flux loader opens."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from tests.output.synthetic import encoded_chunk, read_shard, write_dataset
from vtondata.cli import app
from vtondata.errors import InputError
from vtondata.output.export import export_dataset
from vtondata.output.format import encode_png

STEMS = ["photo_000", "photo_001", "photo_003", "photo_004", "photo_005", "photo_006"]
"""The accepted inputs of the ``dataset`` fixture (2 and 7 are rejected)."""


def test_viton_hd_layout_holds_every_accepted_sample(dataset, tmp_path: Path) -> None:
    out, _ = dataset
    dest = tmp_path / "vitonhd"
    result = export_dataset(out, dest)
    assert result.samples == {"train": 6} and result.without_cloth == 6
    assert (dest / "train_pairs.txt").read_text().splitlines() == [f"{s}.jpg {s}.jpg" for s in STEMS]
    root = dest / "train"
    shard_samples = read_shard(out / "shards" / "train-000000.tar") + read_shard(
        out / "shards" / "train-000001.tar"
    )
    for stem, sample in zip(STEMS, shard_samples, strict=True):
        assert (root / "image" / f"{stem}.jpg").read_bytes() == sample["person.jpg"]
        assert (root / "agnostic-mask" / f"{stem}_mask.png").read_bytes() == sample["agnostic_mask.png"]
        assert (root / "openpose_img" / f"{stem}_rendered.png").read_bytes() == sample["pose.png"]
        pose = json.loads((root / "openpose_json" / f"{stem}_keypoints.json").read_text())
        assert pose == json.loads(sample["pose.json"])["openpose_body25"]
        densepose = np.array(Image.open(root / "image-densepose" / f"{stem}.jpg"))
        person = Image.open(io.BytesIO(sample["person.jpg"]))
        assert densepose.shape == (person.height, person.width, 3) and densepose.max() <= 8
    assert json.loads((root / "vitonhd_train_tagged.json").read_text()) == {"data": []}
    assert not (root / "cloth").exists() and not (root / "cloth-mask").exists()


def test_cloth_and_cloth_mask_are_written_when_the_shards_carry_them(tmp_path: Path) -> None:
    samples = encoded_chunk(range(2))
    for sample in samples:
        sample.files["cloth.jpg"] = sample.files["person.jpg"]
        sample.files["cloth_mask.png"] = encode_png(np.full((64, 48), 255, dtype=np.uint8))
    out = tmp_path / "out"
    write_dataset(out, [samples])
    result = export_dataset(out, tmp_path / "dest")
    assert result.without_cloth == 0
    root = tmp_path / "dest" / "train"
    assert (root / "cloth" / "photo_000.jpg").read_bytes() == samples[0].files["cloth.jpg"]
    cloth_mask = np.array(Image.open(root / "cloth-mask" / "photo_001.jpg").convert("L"))
    assert cloth_mask.shape == (64, 48) and cloth_mask.min() >= 250


def test_repeated_file_names_fall_back_to_sample_keys(tmp_path: Path) -> None:
    samples = encoded_chunk(range(2))
    for sample in samples:
        sample.source_path = f"folder_{sample.index}/same.jpg"
    out = tmp_path / "out"
    write_dataset(out, [samples])
    export_dataset(out, tmp_path / "dest")
    assert sorted(p.name for p in (tmp_path / "dest" / "train" / "image").iterdir()) == [
        "000000.jpg",
        "000001.jpg",
    ]


def test_refuses_a_non_empty_destination_and_a_non_output(dataset, tmp_path: Path) -> None:
    out, _ = dataset
    (tmp_path / "dest").mkdir()
    (tmp_path / "dest" / "mine.txt").write_text("keep")
    with pytest.raises(InputError, match="not empty"):
        export_dataset(out, tmp_path / "dest")
    export_dataset(out, tmp_path / "dest", overwrite=True)
    assert (tmp_path / "dest" / "mine.txt").read_text() == "keep"
    with pytest.raises(InputError, match="manifest"):
        export_dataset(tmp_path / "dest", tmp_path / "other")


def test_cli_exports_and_refuses_unknown_layouts(dataset, tmp_path: Path) -> None:
    out, _ = dataset
    result = CliRunner().invoke(app, ["export", str(out), str(tmp_path / "dest")])
    assert result.exit_code == 0, result.output
    assert "6 without cloth" in result.output
    refused = CliRunner().invoke(app, ["export", str(out), str(tmp_path / "d2"), "--layout", "dresscode"])
    assert refused.exit_code == 2 and "viton-hd" in refused.output
