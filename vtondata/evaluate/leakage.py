"""Form leakage: can a simple classifier tell the old garment's form from the mask?

If it can, a try-on model trained on those masks can too, and learns to copy
the old form (long sleeves stay long, a skirt mask yields a skirt). The
measure is the cross-validated ROC AUC of a logistic regression on
pose-normalised features (:mod:`vtondata.evaluate.forms`): 0.5 means nothing
leaks, 1.0 means the form can be read off perfectly. Predictions are made
out of fold, and samples of one person (``groups``) stay in one fold, so a
classifier cannot score by recognising a person it has seen with the other
garment.

A result is refused, with the reason, rather than computed from too little
data: each class needs at least ``min_per_class`` samples (and groups).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

MIN_PER_CLASS = 5
"""Fewest samples (and groups) per form for an AUC to be reported."""


@dataclass(frozen=True)
class LeakageResult:
    """One AUC, or the reason it was not computed (``auc`` is then ``None``).

    ``source``: what the features came from (``"mask"`` or ``"visible skin"``);
    ``positive`` / ``negative``: how many samples of each form; ``folds``:
    cross-validation folds used (0 when refused).
    """

    source: str
    auc: float | None
    samples: int
    positive: int
    negative: int
    folds: int
    refused: str | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def form_leakage_auc(
    features: np.ndarray,
    is_positive: np.ndarray,
    *,
    source: str,
    groups: np.ndarray | None = None,
    folds: int = 5,
    min_per_class: int = MIN_PER_CLASS,
    seed: int = 0,
) -> LeakageResult:
    """Cross-validated ROC AUC of predicting ``is_positive`` (``(N,)`` bool) from ``features`` ``(N, F)``.

    ``groups`` (``(N,)``, e.g. a person id) keeps each group's samples in one
    fold; by default every sample is its own group. Folds: ``min(folds,
    groups in the smaller class)``, at least 2. Deterministic for a ``seed``.
    """
    features = np.asarray(features, dtype=np.float64)
    labels = np.asarray(is_positive, dtype=bool)
    groups = np.arange(len(labels)) if groups is None else np.asarray(groups)
    positive, negative = int(labels.sum()), int((~labels).sum())
    counts: dict[str, Any] = dict(source=source, samples=len(labels), positive=positive, negative=negative)
    smaller = min(len(np.unique(groups[labels])), len(np.unique(groups[~labels])))
    if min(positive, negative) < min_per_class or smaller < min_per_class:
        reason = (
            f"not enough samples / classes: {positive} positive and {negative} negative "
            f"({smaller} groups in the smaller class); at least {min_per_class} of each are needed"
        )
        return LeakageResult(auc=None, folds=0, refused=reason, **counts)
    n_folds = max(2, min(folds, smaller))
    splitter = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    classifier = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=5000))
    scores = np.asarray(
        cross_val_predict(classifier, features, labels, groups=groups, cv=splitter, method="predict_proba")
    )[:, 1]
    return LeakageResult(auc=float(roc_auc_score(labels, scores)), folds=n_folds, **counts)
