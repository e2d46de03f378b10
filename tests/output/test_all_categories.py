"""``--category all``: one build of real photos gives each category's mask exactly as that category's
own build does, with a verdict per category, and reads, verifies, exports and streams by category.

The photos: two full-body people (one with a paired garment photo), a three-quarter-body person, and
three crops of a full-body photo made here: to just below the hips (half body: upper only), to the
chest, and to the head (no category fits).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

import vtondata
from tests.conftest import require_shared
from vtondata.cli import app
from vtondata.errors import InputError
from vtondata.output.export import export_dataset
from vtondata.output.format import decode_member
from vtondata.output.reader import iter_samples, shard_paths
from vtondata.output.verify import verify_dataset

pytestmark = pytest.mark.slow

CATEGORIES = ("upper", "lower", "dress")
OVERRIDES = {"output.chunk_size": "2"}
LINKED = {
    "049205_0.jpg": "data/persons/049205_0.jpg",
    "model_9.png": "data/persons/model_9.png",
    "01008_00.jpg": "data/persons/01008_00.jpg",
    "01008_00_cloth.jpg": "data/vitonhd-sample/datasets/test/cloth/01260_00.jpg",
}
CROPS = {"half_body.jpg": 495, "chest.jpg": 360, "head.jpg": 300}
"""Crops of 049205_0.jpg (768x1024, hips at y=455, knees at y=681): bottom edge in pixels."""


def _write_photos(shared: Path, raw: Path) -> None:
    raw.mkdir()
    for name, relative in LINKED.items():
        (raw / name).symlink_to(shared / relative)
    with Image.open(shared / LINKED["049205_0.jpg"]) as photo:
        person = photo.convert("RGB")
    for name, bottom in CROPS.items():
        width = round(bottom * 0.75)
        left = person.width // 2 - width // 2
        crop = person.crop((left, 0, left + width, bottom)).resize((768, 1024), Image.Resampling.LANCZOS)
        crop.save(raw / name, quality=95)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """The all-category build and one build per category, of the same photos and recipe."""
    shared = require_shared("data").parent
    root = tmp_path_factory.mktemp("all-categories")
    raw = root / "raw"
    _write_photos(shared, raw)
    outs = {}
    for category in (*CATEGORIES, "all"):
        outs[category] = root / category
        vtondata.build(raw, outs[category], category, "offline", OVERRIDES, runner="local")
    return outs


def _members(out: Path) -> dict[str, dict[str, bytes]]:
    return {sample.key: sample.members for sample in iter_samples(out, decode=False)}


def _key(dataset: vtondata.Dataset, stem: str) -> str:
    return next(key for key in dataset.keys if key.split("_", 1)[1] == stem)


def test_a_full_body_photo_gets_every_mask_and_a_half_body_photo_only_upper(built):
    dataset = vtondata.open(built["all"])
    members = _members(built["all"])
    full, half = members[_key(dataset, "049205_0")], members[_key(dataset, "half_body")]
    assert {f"agnostic_mask_{category}.png" for category in CATEGORIES} <= set(full)
    assert "agnostic_mask_upper_lower.png" in full
    assert sorted(name for name in half if name.startswith("agnostic_mask")) == ["agnostic_mask_upper.png"]
    row = dataset.row(_key(dataset, "half_body"))
    assert (row["accepted"], row["accepted_upper"], row["accepted_lower"], row["accepted_dress"]) == (
        True,
        True,
        False,
        False,
    )
    assert row["reason_code_lower"] == row["reason_code_dress"] == "mask.missing_joints"


def test_each_category_is_what_its_own_build_makes_byte_for_byte(built):
    dataset = vtondata.open(built["all"])
    everything = _members(built["all"])
    compared = 0
    for category in CATEGORIES:
        single = vtondata.open(built[category])
        view = dataset.for_category(category)
        assert view.table.select(["key", "accepted", "reason_code"]).to_pylist() == (
            single.table.select(["key", "accepted", "reason_code"]).to_pylist()
        )
        for key, files in _members(built[category]).items():
            for name, data in files.items():
                if name == "meta.json":
                    continue
                stem, extension = name.rsplit(".", 1)
                stored = everything[key].get(name) or everything[key][f"{stem}_{category}.{extension}"]
                assert stored == data, f"{key} {name} differs from the {category} build's"
                compared += 1
    assert compared > 40


def test_the_union_mask_joins_upper_and_lower(built):
    for key, files in _members(built["all"]).items():
        if "agnostic_mask_upper_lower.png" not in files:
            assert not {"agnostic_mask_upper.png", "agnostic_mask_lower.png"} <= set(files), key
            continue
        upper, lower, union = (
            decode_member(name, files[name])
            for name in (
                "agnostic_mask_upper.png",
                "agnostic_mask_lower.png",
                "agnostic_mask_upper_lower.png",
            )
        )
        assert np.array_equal(union, upper | lower)
        assert union.sum() > max(upper.sum(), lower.sum())


def test_every_photo_has_one_row_and_one_accepted_for_none_carries_a_reason(built):
    dataset = vtondata.open(built["all"])
    manifest = dataset.manifest
    assert len(dataset) == len(LINKED) - 1 + len(CROPS)
    assert manifest["counts"]["inputs"] == manifest["counts"]["accepted"] + manifest["counts"]["rejected"]
    head = dataset.row(_key(dataset, "head"))
    assert not head["accepted"] and head["reason_code"] == "categories.none_accepted"
    assert all(category in head["reason_message"] for category in CATEGORIES)
    for category in CATEGORIES:
        assert head[f"reason_code_{category}"] is not None
    meta = json.loads(_members(built["all"])[_key(dataset, "half_body")]["meta.json"])
    assert meta["category"] == "all"
    assert meta["categories"]["upper"]["accepted"] and "mask" in meta["categories"]["upper"]["stages"]
    assert meta["categories"]["lower"]["reason_code"] == "mask.missing_joints"


def test_the_dataset_verifies_and_reports_counts_per_category(built):
    report = verify_dataset(built["all"])
    assert report.ok, report.problems
    counts = json.loads((built["all"] / "report.json").read_text())["counts"]
    for category in CATEGORIES:
        assert counts["categories"][category]["accepted"] == len(vtondata.open(built[category]).accepted)


def test_verify_finds_a_mask_the_index_does_not_accept(built, tmp_path):
    from vtondata.output.verify import _check_category_masks

    dataset = vtondata.open(built["all"])
    key = _key(dataset, "half_body")
    rows = dataset.table.to_pylist()
    held = {row["key"]: {"agnostic_mask_upper.png"} for row in rows if row["key"] == key}
    assert _check_category_masks(held, rows) == []
    held[key].add("agnostic_mask_lower.png")
    assert _check_category_masks(held, rows) == [f"key {key} is rejected for lower but holds its mask"]


def test_the_reader_picks_a_category(built):
    dataset = vtondata.open(built["all"])
    single = vtondata.open(built["lower"])
    key = _key(dataset, "049205_0")
    record = dataset.sample(key, category="lower")
    assert np.array_equal(record.mask, single.sample(key).mask)
    assert record.row["category"] == "lower"
    assert dataset.for_category("lower").accepted.keys == single.accepted.keys
    assert len(dataset.accepted) > len(dataset.for_category("lower").accepted)
    with pytest.raises(ValueError, match="pass category="):
        dataset.sample(key)
    with pytest.raises(ValueError, match=r"mask\.missing_joints"):
        dataset.sample(_key(dataset, "half_body"), category="lower")
    union = dataset.sample(key, category="upper_lower").mask
    assert np.array_equal(union, dataset.sample(key, category="upper").mask | record.mask)
    assert np.array_equal(single.sample(key, category="lower").mask, record.mask)
    with pytest.raises(ValueError, match="lower masks only"):
        single.sample(key, category="upper")


def test_a_category_s_view_reads_its_samples_and_the_other_categories(built):
    dataset = vtondata.open(built["all"])
    lower = dataset.for_category("lower")
    key = _key(dataset, "049205_0")
    upper_mask = dataset.sample(key, category="upper").mask
    assert np.array_equal(lower.sample(key).mask, dataset.sample(key, category="lower").mask)
    assert np.array_equal(lower.accepted.sample(key).mask, lower.sample(key).mask)
    assert np.array_equal(lower.sample(key, category="upper").mask, upper_mask)
    assert np.array_equal(lower.sample(key, category="upper_lower").mask, upper_mask | lower.sample(key).mask)
    assert lower.show(key).size == lower.sample(key).person.shape[1::-1]
    assert lower.for_category("lower") is lower
    upper_of_lower = lower.accepted.for_category("upper")
    assert upper_of_lower.keys == lower.accepted.keys
    upper = dataset.for_category("upper").table.to_pylist()
    verdicts = {row["key"]: row["accepted"] for row in upper}
    assert upper_of_lower.table.column("accepted").to_pylist() == [verdicts[k] for k in upper_of_lower.keys]
    half_body = _key(dataset, "half_body")
    assert half_body in lower.rejected.for_category("upper").accepted.keys


def test_export_of_one_category_equals_that_category_s_own_build(built, tmp_path):
    export_dataset(built["all"], tmp_path / "from-all", category="lower")
    export_dataset(built["lower"], tmp_path / "from-lower")

    def files(root: Path) -> dict[str, bytes]:
        return {str(path.relative_to(root)): path.read_bytes() for path in root.rglob("*") if path.is_file()}

    exported = files(tmp_path / "from-all")
    assert any(name.startswith("train/agnostic-mask/") for name in exported)
    assert exported == files(tmp_path / "from-lower")
    with pytest.raises(InputError, match="pick one with --category"):
        export_dataset(built["all"], tmp_path / "none")
    with pytest.raises(InputError, match="lower masks only"):
        export_dataset(built["lower"], tmp_path / "wrong", category="dress")


def test_hf_parquet_export_of_one_category_loads_with_datasets(built, tmp_path):
    import datasets

    export_dataset(built["all"], tmp_path / "hf", "hf-parquet", category="dress")
    loaded = datasets.load_dataset("parquet", data_files=str(tmp_path / "hf" / "data" / "*.parquet"))["train"]
    single = vtondata.open(built["dress"])
    assert sorted(loaded["key"]) == sorted(single.accepted.keys)
    first = loaded[0]
    mask = np.asarray(first["agnostic_mask"].convert("L")) > 127
    assert np.array_equal(mask, single.sample(first["key"]).mask)
    assert set(loaded["category"]) == {"dress"}


def test_the_cli_exports_one_category_and_asks_for_one(built, tmp_path):
    runner = CliRunner()
    asked = runner.invoke(app, ["export", str(built["all"]), str(tmp_path / "none")])
    assert asked.exit_code != 0 and "--category" in asked.output
    done = runner.invoke(app, ["export", str(built["all"]), str(tmp_path / "upper"), "--category", "upper"])
    assert done.exit_code == 0, done.output
    masks = sorted((tmp_path / "upper" / "train" / "agnostic-mask").iterdir())
    assert len(masks) == len(vtondata.open(built["upper"]).accepted)


def test_the_shards_stream_with_webdataset(built):
    import webdataset as wds

    urls = [str(path) for path in shard_paths(built["all"], non_empty=True)]
    streamed = {sample["__key__"]: sample for sample in wds.WebDataset(urls, shardshuffle=False)}
    assert sorted(streamed) == sorted(vtondata.open(built["all"]).accepted.keys)
    for key, files in _members(built["all"]).items():
        assert {name: streamed[key][name] for name in files} == files


def test_training_reads_one_category_as_its_own_build(built):
    from vtondata.train.data import shard_urls, whole_dataset

    urls = shard_urls(built["all"], "lower")
    streamed = {sample["__key__"]: sample for sample in whole_dataset(urls, "lower")}
    single = {sample["__key__"]: sample for sample in whole_dataset(shard_urls(built["lower"]))}
    assert sorted(streamed) == sorted(single)
    for key, sample in single.items():
        assert streamed[key]["agnostic_mask.png"] == sample["agnostic_mask.png"]
    with pytest.raises(InputError, match="pick one with --category"):
        shard_urls(built["all"])
    with pytest.raises(InputError, match="lower masks only"):
        shard_urls(built["lower"], "upper")
    with pytest.raises(InputError, match="mask per category"):
        next(iter(whole_dataset(urls)))


def test_croissant_describes_each_category_s_masks_and_verdicts(built, tmp_path):
    # mlcroissant extracts tars into a cache shared by every dataset whose shards have the same
    # relative names, so it reads in a process of its own with a cache of its own.
    script = (
        "import json, sys, mlcroissant as mlc\n"
        "loaded = mlc.Dataset(jsonld=sys.argv[1])\n"
        "masks = [r['agnostic_mask_lower/key'].decode() for r in loaded.records('agnostic_mask_lower')]\n"
        "index = {r['index/key'].decode(): bool(r['index/accepted_lower'])\n"
        "         for r in loaded.records('index')}\n"
        "errors = len(loaded.metadata.ctx.issues.errors)\n"
        "print(json.dumps({'errors': errors, 'masks': sorted(masks), 'index': index}))\n"
    )
    environment = {**os.environ, "CROISSANT_CACHE": str(tmp_path / "croissant-cache")}
    done = subprocess.run(
        [sys.executable, "-c", script, str(built["all"] / "croissant.json")],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
    )
    read = json.loads(done.stdout.strip().splitlines()[-1])
    lower = vtondata.open(built["all"]).for_category("lower")
    assert read["errors"] == 0
    assert read["masks"] == sorted(lower.accepted.keys)
    assert read["index"] == dict(zip(lower.keys, lower.table.column("accepted").to_pylist(), strict=True))


def test_eval_masks_reads_one_category(built, tmp_path):
    from vtondata.evaluate.run import evaluate_masks
    from vtondata.evaluate.sources import iter_masks, iter_parse_maps

    def arrays(pairs):
        return {stem: value for stem, value in pairs}

    picked, own = arrays(iter_masks(built["all"], "lower")), arrays(iter_masks(built["lower"]))
    assert sorted(picked) == sorted(own) and len(own) > 2
    assert all(np.array_equal(picked[stem], own[stem]) for stem in own)
    parses = arrays(iter_parse_maps(built["all"], "dress"))
    assert {stem: value.tobytes() for stem, value in parses.items()} == {
        stem: value.tobytes() for stem, value in arrays(iter_parse_maps(built["dress"])).items()
    }
    with pytest.raises(InputError, match="pick one with --category"):
        evaluate_masks(tmp_path, built["all"])
