"""QualityStage on real photos: the corrupted set through the offline recipe, and the stage contract."""

from __future__ import annotations

import pickle
from collections import Counter
from pathlib import Path

import cv2
import pytest

from tests.filters.conftest import processed_samples
from tests.filters.corruptions import DUPLICATE_COPIES, VARIANTS, matches, near_duplicate, write_corrupted_set
from tests.photos import link_photos, real_photos
from vtondata import api
from vtondata.config import load_recipe
from vtondata.config.quality import QualityConfig
from vtondata.ingest.scan import scan_inputs
from vtondata.output.index import read_index
from vtondata.runners.base import run_stage_batch
from vtondata.sample import Sample
from vtondata.stages.quality import QualityStage

EXPECTED = {variant.name: variant.expected for variant in VARIANTS}


@pytest.fixture(scope="module")
def real_samples(tmp_path_factory: pytest.TempPathFactory) -> list[Sample]:
    return processed_samples(link_photos(tmp_path_factory.mktemp("quality-raw"), real_photos()))


@pytest.fixture(scope="module")
def corrupted_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str | None], list[dict]]:
    root = tmp_path_factory.mktemp("corrupted")
    variants = tuple(variant for variant in VARIANTS if variant.make is not near_duplicate)
    written = write_corrupted_set(root / "raw", variants)
    off = {"quality.duplicates.min_hash_distance": None}
    api.build(root / "raw", root / "out", "upper", "offline", off, runner="local")
    rows = read_index(root / "out").select(["source_path", "reason_code"]).to_pylist()
    return written, rows


def test_corruptions_are_rejected_for_their_reason(corrupted_build) -> None:
    written, rows = corrupted_build
    assert {row["source_path"] for row in rows} == set(written)
    corrupt = [row for row in rows if written[row["source_path"]] is not None]
    missed = [
        f"{row['source_path']}: {row['reason_code']}"
        for row in corrupt
        if not matches(row["reason_code"], EXPECTED[written[row["source_path"]]])
    ]
    assert len(missed) <= 0.05 * len(corrupt), "rejected for another reason:\n" + "\n".join(missed)
    per_variant = Counter(written[row["source_path"]] for row in corrupt)
    caught = Counter(
        written[row["source_path"]]
        for row in corrupt
        if matches(row["reason_code"], EXPECTED[written[row["source_path"]]])
    )
    assert {
        name: caught[name] / count for name, count in per_variant.items() if caught[name] < 0.75 * count
    } == {}


@pytest.mark.parametrize("copy", DUPLICATE_COPIES, ids=lambda copy: copy.__name__)
def test_the_best_of_a_duplicate_pair_is_kept(copy, tmp_path: Path) -> None:
    """A worse copy that sorts first is rejected naming the original, which is kept."""
    originals = {}
    for photo in real_photos():
        stem = f"{photo.parent.name}-{photo.stem}"
        image = cv2.imread(str(photo), cv2.IMREAD_COLOR)
        cv2.imwrite(str(tmp_path / f"a-{stem}.jpg"), copy(image, image), [cv2.IMWRITE_JPEG_QUALITY, 90])
        (tmp_path / f"z-{stem}{photo.suffix}").symlink_to(photo)
        originals[f"a-{stem}.jpg"] = f"z-{stem}{photo.suffix}"
    recipe = load_recipe("offline")
    items = scan_inputs(tmp_path, recipe.ingest, duplicates=recipe.quality.duplicates)
    codes = {item.source_path: item.rejection for item in items}
    assert [path for path in originals.values() if codes[path] is not None] == []
    wrong = [
        (path, codes[path])
        for path, original in originals.items()
        if codes[path] is None
        or codes[path].code != "quality.near_duplicate"
        or original not in codes[path].message
    ]
    assert wrong == []


def test_no_clean_original_is_rejected(corrupted_build) -> None:
    written, rows = corrupted_build
    clean = [row for row in rows if written[row["source_path"]] is None]
    assert len(clean) == 16
    rejected = [(row["source_path"], row["reason_code"]) for row in clean if row["reason_code"] is not None]
    assert rejected == []


def test_every_failure_is_recorded_and_the_first_rejects(real_samples) -> None:
    sample = pickle.loads(pickle.dumps(real_samples[0]))
    quality = QualityConfig.model_validate(
        {"image": {"min_sharpness": 1e9, "max_brightness": 0.0}, "mask": {"max_area_ratio": 0.0}}
    )
    (out,) = run_stage_batch(QualityStage(quality), [sample])
    assert out.rejection is not None and out.rejection.code == "quality.image_max_brightness"
    assert [f["code"] for f in out.meta["quality"]["failed"]] == [
        "quality.image_max_brightness",
        "quality.image_min_sharpness",
        "quality.mask_max_area_ratio",
    ]
    assert {"image.sharpness", "pose.framing_margin", "segment.torso_in_person", "mask.area_ratio"} <= set(
        out.stats
    )


def test_stage_is_stateless_and_thresholds_off_accept_everything(real_samples) -> None:
    stage = QualityStage(QualityConfig())
    assert stage.name == "quality" and not stage.resources.stateful
    samples = run_stage_batch(pickle.loads(pickle.dumps(stage)), pickle.loads(pickle.dumps(real_samples)))
    assert all(s.accepted and s.meta["quality"]["failed"] == [] for s in samples)


def test_build_stages_puts_quality_between_mask_and_encode() -> None:
    names = [stage.name for stage in api.build_stages(load_recipe("offline"))]
    assert names[names.index("mask") + 1 : names.index("mask") + 3] == ["quality", "encode"]
