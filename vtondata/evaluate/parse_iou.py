"""Score a dataset's ``parse.png`` against ground-truth parse maps: one IoU per label.

The mask is judged by :mod:`vtondata.evaluate.metrics`; this judges the
evidence it was drawn from, so a recipe's hair or hand layer can be compared
with another's directly. Ground truth is turned into the same labels
(:data:`vtondata.geometry.parse_map.PARSE_LABELS`) with the same rules the
annotation backend follows: arms, legs and the neck are skin, coats count as
upper garments, jumpsuits as dresses; hands and feet are the judge's own end
zones (:func:`vtondata.evaluate.metrics.end_regions`), since parse maps have
no hand label and call bare feet legs. ``background`` and ``other`` are not
scored.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from vtondata.evaluate.metrics import end_regions
from vtondata.geometry.parse_map import LABEL_ID, PARSE_LABELS, parse_map
from vtondata.sample import Category

SCORED_LABELS: tuple[str, ...] = tuple(
    name for name in PARSE_LABELS.values() if name not in ("background", "other")
)


def truth_parse_map(
    layers: Mapping[str, np.ndarray],
    keypoints_px: np.ndarray,
    category: Category | str,
    min_confidence: float = 0.2,
) -> np.ndarray:
    """``HxW`` uint8 ground truth in :data:`PARSE_LABELS` ids from a parse map's layers."""
    person = np.asarray(layers["person"], dtype=bool)
    hands, feet = end_regions(layers, keypoints_px, person.shape, min_confidence)
    truth = {name: layer for name, layer in layers.items() if name not in ("hat", "accessories", "feet")}
    truth["hands"] = hands & person
    truth["feet"] = feet & person
    labels = parse_map(truth, keypoints_px, category)
    assert labels is not None
    return labels


def label_iou(predicted: np.ndarray, truth: np.ndarray) -> dict[str, float | None]:
    """IoU per scored label; ``None`` where neither map has the label."""
    out: dict[str, float | None] = {}
    for name in SCORED_LABELS:
        ours, theirs = predicted == LABEL_ID[name], truth == LABEL_ID[name]
        union = np.count_nonzero(ours | theirs)
        out[name] = float(np.count_nonzero(ours & theirs)) / union if union else None
    return out
