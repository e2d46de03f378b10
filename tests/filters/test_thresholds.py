"""Thresholds read off the recipe: naming rule, order, None = off, model and plain dict alike."""

from __future__ import annotations

import pytest

from vtondata.config import bundled_recipes, load_recipe
from vtondata.config.quality import QualityConfig, for_category
from vtondata.filters.thresholds import Threshold, failing, thresholds_from_quality

QUALITY = QualityConfig.model_validate(
    {
        "image": {"min_sharpness": 100.0, "max_brightness": 0.9},
        "pose": {"max_num_people": 1.0, "min_framing_margin": None},
        "mask": {"min_area_ratio": 0.1, "max_area_ratio": 0.6},
        "cloth": {"min_area_ratio": None, "max_secondary_ratio": None, "max_border_touch_ratio": None},
    }
)


def test_naming_rule_and_order() -> None:
    assert thresholds_from_quality(QUALITY) == [
        Threshold("image", "image.brightness", "max", 0.9, "quality.image_max_brightness"),
        Threshold("image", "image.sharpness", "min", 100.0, "quality.image_min_sharpness"),
        Threshold("pose", "pose.num_people", "max", 1.0, "quality.pose_max_num_people"),
        Threshold("mask", "mask.area_ratio", "min", 0.1, "quality.mask_min_area_ratio"),
        Threshold("mask", "mask.area_ratio", "max", 0.6, "quality.mask_max_area_ratio"),
    ]


def test_plain_dict_from_a_manifest_gives_the_same_list() -> None:
    assert thresholds_from_quality(QUALITY.model_dump(mode="json")) == thresholds_from_quality(QUALITY)


def test_default_config_has_only_the_garment_photo_checks() -> None:
    assert thresholds_from_quality(QualityConfig()) == [
        Threshold("cloth", "cloth.area_ratio", "min", 0.05, "cloth.too_small"),
        Threshold("cloth", "cloth.secondary_ratio", "max", 0.1, "cloth.multiple_garments"),
        Threshold("cloth", "cloth.border_touch_ratio", "max", 0.02, "cloth.cut_by_frame"),
    ]


def test_failing_lists_every_failure_in_order_and_the_first_is_the_rejection() -> None:
    thresholds = thresholds_from_quality(QUALITY)
    stats = {"image.sharpness": 50.0, "image.brightness": 0.95, "mask.area_ratio": 0.3}
    assert [t.reason_code for t in failing(stats, thresholds)] == [
        "quality.image_max_brightness",
        "quality.image_min_sharpness",
    ]
    first = failing(stats, thresholds)[0]
    rejection = first.rejection(stats[first.statistic])
    assert rejection.code == "quality.image_max_brightness"
    assert "image.brightness = 0.95" in rejection.message and "maximum 0.9" in rejection.message


def test_bounds_are_inclusive_and_missing_statistics_fail_nothing() -> None:
    thresholds = thresholds_from_quality(QUALITY)
    assert failing({"image.sharpness": 100.0, "mask.area_ratio": 0.6}, thresholds) == []
    assert failing({}, thresholds) == []


@pytest.mark.parametrize("name", bundled_recipes())
def test_bundled_thresholds_state_their_provenance(name: str) -> None:
    quality = load_recipe(name).quality
    for category in ("upper", "lower", "dress"):
        effective = for_category(quality, category)
        for family in {t.family for t in thresholds_from_quality(quality, category)}:
            provenance = getattr(effective, family).provenance
            expected = {
                "duplicates": "Hand-set from measured",
                "cloth": "previous fixed defaults",
            }.get(family, "vtondata calibrate")
            assert expected in provenance, (category, family, provenance)


@pytest.mark.parametrize("name", ["offline", "offline-yolo"])
def test_offline_recipes_ship_thresholds_for_every_family(name: str) -> None:
    families = {t.family for t in thresholds_from_quality(load_recipe(name).quality)}
    assert families == {"image", "pose", "segment", "mask", "duplicates", "cloth"}


def test_a_category_block_replaces_the_shared_one_for_that_category_only() -> None:
    quality = QualityConfig.model_validate(
        {
            "mask": {"min_person_coverage": 0.6, "max_area_ratio": 0.7},
            "cloth": QUALITY.cloth.model_dump(),
            "categories": {"lower": {"mask": {"min_person_coverage": 0.3}}},
        }
    )
    shared = [(t.statistic, t.value) for t in thresholds_from_quality(quality)]
    upper = [(t.statistic, t.value) for t in thresholds_from_quality(quality, "upper")]
    lower = [(t.statistic, t.value) for t in thresholds_from_quality(quality, "lower")]
    assert shared == upper == [("mask.area_ratio", 0.7), ("mask.person_coverage", 0.6)]
    assert lower == [("mask.person_coverage", 0.3)]
    assert thresholds_from_quality(quality.model_dump(mode="json"), "lower") == thresholds_from_quality(
        quality, "lower"
    )


def test_near_duplicates_have_their_own_reason_code() -> None:
    quality = {"duplicates": {"min_hash_distance": 11}}
    (threshold,) = [t for t in thresholds_from_quality(quality) if t.family == "duplicates"]
    assert (threshold.statistic, threshold.reason_code) == (
        "duplicates.hash_distance",
        "quality.near_duplicate",
    )
