"""The form-leakage AUC itself: separable features score 1, noise about 0.5, too little data is refused."""

from __future__ import annotations

import numpy as np

from vtondata.evaluate.leakage import form_leakage_auc


def test_separable_features_give_auc_one() -> None:
    rng = np.random.default_rng(0)
    labels = np.repeat([True, False], 20)
    features = rng.normal(size=(40, 8))
    features[:, 0] += np.where(labels, 4.0, -4.0)
    result = form_leakage_auc(features, labels, source="mask")
    assert result.auc == 1.0 and result.folds == 5 and (result.positive, result.negative) == (20, 20)


def test_noise_gives_auc_near_half() -> None:
    rng = np.random.default_rng(1)
    labels = np.repeat([True, False], 50)
    result = form_leakage_auc(rng.normal(size=(100, 8)), labels, source="mask")
    assert result.auc is not None and abs(result.auc - 0.5) < 0.15


def test_identical_features_within_a_group_give_exactly_half() -> None:
    """Same mask for both forms of each person: nothing to learn across held-out people."""
    rng = np.random.default_rng(2)
    people = rng.normal(size=(10, 6))
    features = np.repeat(people, 2, axis=0)
    labels = np.tile([True, False], 10)
    result = form_leakage_auc(features, labels, source="mask", groups=np.repeat(np.arange(10), 2))
    assert result.auc == 0.5


def test_too_few_samples_or_one_class_is_refused() -> None:
    few = form_leakage_auc(
        np.zeros((6, 3)), np.array([True, True, False, False, False, False]), source="mask"
    )
    assert few.auc is None and few.folds == 0 and "not enough samples / classes" in few.refused
    single = form_leakage_auc(np.zeros((20, 3)), np.zeros(20, dtype=bool), source="visible skin")
    assert single.auc is None and single.positive == 0 and single.negative == 20
