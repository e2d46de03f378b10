"""``calibrate``: layouts found, robust per-category thresholds, a minimum support, recipe written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.photos import real_photos
from vtondata.calibrate import (
    CalibrationRule,
    calibrate,
    calibrated_quality,
    reference_photos,
    threshold_at,
    with_loosest_shared,
)
from vtondata.cli import app
from vtondata.config import load_recipe
from vtondata.config.quality import QualityConfig
from vtondata.filters.thresholds import Threshold, failing, thresholds_from_quality
from vtondata.sample import Category


def _threshold(statistic: str, direction: str) -> Threshold:
    family = statistic.split(".")[0]
    return Threshold(family, statistic, direction, 0.0, f"quality.{family}_{direction}")


def test_rule_is_median_and_mad_widened_for_small_samples() -> None:
    rule = CalibrationRule(k=1.0)
    values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    reach = 1.0 * (1 + 1 / 3) * 1.4826 * 2.0
    assert threshold_at(_threshold("mask.area_ratio", "min"), values, rule) == pytest.approx(
        5 - reach, rel=1e-3
    )
    assert threshold_at(_threshold("mask.area_ratio", "max"), values, rule) == pytest.approx(
        5 + reach, rel=1e-3
    )


def test_an_outlier_does_not_move_the_threshold() -> None:
    rule = CalibrationRule()
    clean = [0.60, 0.61, 0.62, 0.63, 0.64, 0.65, 0.66, 0.67, 0.68, 0.69]
    spoiled = [*clean[:-1], 0.05]
    at = threshold_at(_threshold("image.sharpness", "min"), clean, rule)
    assert abs(threshold_at(_threshold("image.sharpness", "min"), spoiled, rule) - at) < 0.05


def test_constant_statistics_get_their_floor() -> None:
    rule = CalibrationRule(k=5.0)
    widening = 5.0 * (1 + 1 / 10**0.5)
    zeros = [0.0] * 10
    assert threshold_at(_threshold("image.noise_sigma", "max"), zeros, rule) == pytest.approx(
        0.5 * widening, 1e-3
    )
    assert threshold_at(_threshold("mask.face_intrusion", "max"), zeros, rule) == pytest.approx(
        0.02 * widening, 1e-3
    )
    sizes = [768.0] * 10
    assert threshold_at(_threshold("image.orig_width_px", "min"), sizes, rule) == pytest.approx(
        768 - 0.05 * 768 * widening, 1e-3
    )


def test_too_few_values_are_refused_and_the_recipe_value_kept() -> None:
    base = QualityConfig.model_validate({"image": {"min_sharpness": 0.3, "max_noise_sigma": 4.0}})
    values = {"image.sharpness": [0.7] * 12, "image.noise_sigma": [0.1] * 3}
    quality, support = calibrated_quality(base, Category.LOWER, values, CalibrationRule(), "test")
    lower = quality.categories.lower
    assert lower is not None and lower.image is not None
    assert lower.image.max_noise_sigma == 4.0 and lower.image.min_sharpness != 0.3
    assert {(s.field, s.values, s.value is None) for s in support} == {
        ("image.max_noise_sigma", 3, True),
        ("image.min_sharpness", 12, False),
    }
    assert "max_noise_sigma not calibrated (n=3)" in lower.image.provenance
    assert quality.categories.upper is None and quality.image.min_sharpness == lower.image.min_sharpness


def test_shared_blocks_are_the_loosest_of_the_categories() -> None:
    quality = QualityConfig.model_validate(
        {
            "categories": {
                "upper": {
                    "mask": {"min_person_coverage": 0.5, "max_area_ratio": 0.6, "min_joint_coverage": 0.7}
                },
                "lower": {"mask": {"min_person_coverage": 0.3, "max_area_ratio": 0.4}},
            }
        }
    )
    shared = with_loosest_shared(quality).mask
    assert (shared.min_person_coverage, shared.max_area_ratio, shared.min_joint_coverage) == (0.3, 0.6, None)


def test_layouts(tmp_path: Path, vitonhd_dir: Path) -> None:
    assert [p.parent.name for p in reference_photos(vitonhd_dir.parent)] == ["image"] * 6
    dresscode = tmp_path / "DressCode" / "upper_body" / "images"
    dresscode.mkdir(parents=True)
    for name in ("000001_0.jpg", "000001_1.jpg"):
        (dresscode / name).symlink_to(real_photos()[0])
    assert [p.name for p in reference_photos(tmp_path / "DressCode")] == ["000001_0.jpg"]
    assert len(reference_photos(vitonhd_dir / "image")) == 6


def test_calibrate_on_the_vitonhd_sample(vitonhd_dir: Path) -> None:
    recipe = load_recipe("offline")
    rule = CalibrationRule(min_support=5)
    result = calibrate([vitonhd_dir], recipe, "upper", rule, today=dt.date(2025, 1, 2))
    assert (result.photos, result.accepted) == (6, 6)
    upper = result.recipe.quality.categories.upper
    assert upper is not None and upper.pose is not None
    assert "vitonhd-sample/datasets/test (6 photos, 6 accepted" in upper.pose.provenance
    assert "2025-01-02" in upper.mask.provenance and "max_area_ratio n=6" in upper.mask.provenance
    assert result.recipe.quality.categories.lower == recipe.quality.categories.lower
    enabled = {t.reason_code for t in thresholds_from_quality(recipe.quality, "upper")}
    thresholds = thresholds_from_quality(result.recipe.quality, "upper")
    assert {t.reason_code for t in thresholds} == enabled
    assert {s.values for s in result.support} == {6}
    per_photo = len(result.values["image.sharpness"])
    for index in range(per_photo):
        stats = {name: values[index] for name, values in result.values.items() if len(values) == per_photo}
        assert failing(stats, thresholds) == []


def test_the_default_minimum_support_refuses_six_photos(vitonhd_dir: Path) -> None:
    recipe = load_recipe("offline")
    result = calibrate([vitonhd_dir], recipe, "upper")
    assert result.support and all(entry.value is None for entry in result.support)
    assert thresholds_from_quality(result.recipe.quality, "upper") == thresholds_from_quality(
        recipe.quality, "upper"
    )


def test_cli_writes_a_loadable_recipe_and_reports_support(tmp_path: Path, vitonhd_dir: Path) -> None:
    output = tmp_path / "calibrated.yaml"
    args = [
        "calibrate",
        str(vitonhd_dir),
        "--category",
        "lower",
        "--min-support",
        "5",
        "--output",
        str(output),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "n=6" in result.output and "lower thresholds from 6 of 6 photos" in result.output
    recipe = load_recipe(output)
    assert "median -/+ 5" in recipe.quality.categories.lower.image.provenance
    assert recipe.pose == load_recipe("offline").pose


def test_missing_reference_is_an_input_error(tmp_path: Path) -> None:
    args = ["calibrate", str(tmp_path / "nowhere"), "--output", str(tmp_path / "r.yaml")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 3
