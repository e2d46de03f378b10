"""``calibrate`` on the VITON-HD sample: layouts found, thresholds set by the rule, recipe written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from typer.testing import CliRunner

from tests.photos import real_photos
from vtondata.calibrate import CalibrationRule, calibrate, reference_photos, threshold_at
from vtondata.cli import app
from vtondata.config import load_recipe
from vtondata.filters.thresholds import failing, thresholds_from_quality


def test_rule_is_percentile_with_relative_margin_and_floor() -> None:
    rule = CalibrationRule(percentile=10.0, margin=0.25, floor=0.01)
    assert threshold_at([100.0, 200.0, 300.0], "min", rule) == 75.0
    assert threshold_at([100.0, 200.0, 300.0], "max", rule) == 375.0
    assert threshold_at([0.0, 0.0, 0.0], "max", rule) == 0.01
    assert threshold_at([-0.2, 0.1], "min", rule) == -0.25


def test_layouts(tmp_path: Path, vitonhd_dir: Path) -> None:
    assert [p.parent.name for p in reference_photos(vitonhd_dir.parent)] == ["image"] * 6
    dresscode = tmp_path / "DressCode" / "upper_body" / "images"
    dresscode.mkdir(parents=True)
    for name in ("000001_0.jpg", "000001_1.jpg"):
        (dresscode / name).symlink_to(real_photos()[0])
    assert [p.name for p in reference_photos(tmp_path / "DressCode")] == ["000001_0.jpg"]
    assert len(reference_photos(vitonhd_dir / "image")) == 6


def test_calibrate_on_the_vitonhd_sample(vitonhd_dir: Path) -> None:
    result = calibrate([vitonhd_dir], load_recipe("offline"), "upper", today=dt.date(2025, 1, 2))
    assert (result.photos, result.accepted) == (6, 6)
    quality = result.recipe.quality
    assert quality.image.min_orig_height_px == 768.0
    assert quality.pose.max_num_people == 1.25
    assert "vitonhd-sample/datasets/test (6 photos, 6 accepted" in quality.pose.provenance
    assert "2025-01-02" in quality.mask.provenance and "P1" in quality.mask.provenance
    # The offline recipe's face layer (from the face mesh) makes face intrusion measurable.
    assert quality.mask.max_face_intrusion is not None and quality.mask.max_face_intrusion <= 0.05
    thresholds = thresholds_from_quality(quality)
    assert {t.family for t in thresholds} == {"image", "pose", "segment", "mask", "duplicates"}
    per_photo = len(result.values["image.sharpness"])
    for index in range(per_photo):
        stats = {name: values[index] for name, values in result.values.items() if len(values) == per_photo}
        assert failing(stats, thresholds) == []


def test_cli_writes_a_loadable_recipe(tmp_path: Path, vitonhd_dir: Path) -> None:
    output = tmp_path / "calibrated.yaml"
    args = ["calibrate", str(vitonhd_dir), "--percentile", "5", "--output", str(output)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    recipe = load_recipe(output)
    assert "P5" in recipe.quality.image.provenance and recipe.pose == load_recipe("offline").pose


def test_missing_reference_is_an_input_error(tmp_path: Path) -> None:
    args = ["calibrate", str(tmp_path / "nowhere"), "--output", str(tmp_path / "r.yaml")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 3
