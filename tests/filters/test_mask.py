"""Mask filter on real samples: a mask moved off the body is rejected for the mask's own reasons."""

from __future__ import annotations

import copy

import numpy as np

from vtondata.config import load_recipe
from vtondata.filters import mask
from vtondata.filters.thresholds import thresholds_from_quality

THRESHOLDS = thresholds_from_quality(load_recipe("offline").quality)


def _shifted(sample, dx_rel: float):
    moved = copy.copy(sample)
    width = sample.agnostic_mask.shape[1]
    shift = int(dx_rel * width)
    moved.agnostic_mask = np.zeros_like(sample.agnostic_mask)
    moved.agnostic_mask[:, shift:] = sample.agnostic_mask[:, : width - shift]
    return moved


def test_measure_matches_the_mask_stage(real_samples) -> None:
    for sample in real_samples:
        measured = mask.measure(sample)
        assert measured == {k: v for k, v in sample.stats.items() if k.startswith("mask.")}


def test_clean_masks_pass(real_samples) -> None:
    assert [mask.decide(mask.measure(s), THRESHOLDS) for s in real_samples] == [None] * len(real_samples)


def test_mask_shifted_off_the_body_is_rejected(real_samples) -> None:
    verdicts = [mask.decide(mask.measure(_shifted(s, 0.4)), THRESHOLDS) for s in real_samples]
    codes = [v.code if v else None for v in verdicts]
    assert all(code is not None and code.startswith("quality.mask_") for code in codes), codes


def test_measure_needs_a_mask(real_samples) -> None:
    without = copy.copy(real_samples[0])
    without.agnostic_mask = None
    assert mask.measure(without) == {}
