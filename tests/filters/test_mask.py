"""Mask filter on real samples: a mask moved off the body is rejected for the mask's own reasons."""

from __future__ import annotations

import copy

import numpy as np

from vtondata.config import load_recipe
from vtondata.filters.thresholds import failing, thresholds_from_quality
from vtondata.geometry.agnostic import mask_stats

THRESHOLDS = [t for t in thresholds_from_quality(load_recipe("offline").quality) if t.family == "mask"]


def _measure(sample) -> dict[str, float]:
    return mask_stats(sample.agnostic_mask, sample.layers, sample.keypoints_px, sample.category)


def _first_failure(stats: dict[str, float]) -> str | None:
    failed = failing(stats, THRESHOLDS)
    return failed[0].reason_code if failed else None


def _shifted(sample, dx_rel: float):
    moved = copy.copy(sample)
    width = sample.agnostic_mask.shape[1]
    shift = int(dx_rel * width)
    moved.agnostic_mask = np.zeros_like(sample.agnostic_mask)
    moved.agnostic_mask[:, shift:] = sample.agnostic_mask[:, : width - shift]
    return moved


def test_the_mask_stage_recorded_the_statistics_of_the_mask_it_drew(real_samples) -> None:
    for sample in real_samples:
        assert _measure(sample) == {k: v for k, v in sample.stats.items() if k.startswith("mask.")}


def test_clean_masks_pass(real_samples) -> None:
    assert [_first_failure(_measure(s)) for s in real_samples] == [None] * len(real_samples)


def test_mask_shifted_off_the_body_is_rejected(real_samples) -> None:
    codes = [_first_failure(_measure(_shifted(s, 0.4))) for s in real_samples]
    assert all(code is not None and code.startswith("quality.mask_") for code in codes), codes
