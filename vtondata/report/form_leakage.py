"""The dataset's own form-leakage score: the measure of ``vtondata eval-masks``, on its parse maps.

``eval-masks`` needs ground-truth parse maps; a built dataset has its own
``parse.png``. From it each accepted sample's visible garment form is read
where it can be told (:mod:`vtondata.evaluate.parse_forms`: short versus
long sleeve, skirt versus trousers), and the same two AUCs are computed with
the same code (:func:`vtondata.evaluate.leakage.form_leakage_auc` over
:func:`vtondata.evaluate.forms.shape_features`): predicting the form from the
mask alone, and from the limb skin left visible outside it. 0.5 means the
masks teach a model nothing about the old garment's form; near 1.0 means a
model learns to copy it. With too few samples of either form the result says
so instead of a number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from vtondata.evaluate import forms
from vtondata.evaluate.leakage import LeakageResult, form_leakage_auc
from vtondata.evaluate.metrics import limb_skin
from vtondata.evaluate.parse_forms import limb_layers, visible_form
from vtondata.sample import Category

SOURCES = ("mask", "visible skin")


@dataclass(frozen=True)
class Measured:
    """One sample's visible ``form`` and its ``(mask, visible skin)`` shape features; ``features`` is
    ``None`` when the sample cannot be labelled or placed, and then counts as unlabelled."""

    form: str | None
    features: tuple[np.ndarray, np.ndarray] | None


class FormLeakage:
    """Collects forms and features sample by sample; :meth:`result` gives the report's ``form_leakage``."""

    def __init__(self, category: Category | str, min_confidence: float = 0.2) -> None:
        self.category = Category(category)
        self.min_confidence = min_confidence
        self.read = 0
        self.unlabelled = 0
        self._rows: dict[str, list[np.ndarray]] = {source: [] for source in SOURCES}
        self._labels: list[bool] = []

    def form(self, parse: np.ndarray, keypoints_px: np.ndarray) -> str | None:
        """The sample's visible garment form, or ``None`` when it cannot be told."""
        return visible_form(parse, keypoints_px, self.category, self.min_confidence)

    def measure(self, mask: np.ndarray, parse: np.ndarray | None, keypoints_px: np.ndarray) -> Measured:
        """One sample's form and features (``mask`` ``HxW`` bool, ``parse`` label ids or ``None``), counting
        nothing: safe to call from several threads at once; :meth:`count` adds the result."""
        form = self.form(parse, keypoints_px) if parse is not None else None
        if form is None or parse is None or self.category not in forms.FORMS:
            return Measured(form, None)
        layers = limb_layers(parse, keypoints_px, self.min_confidence)
        skin = limb_skin(layers, keypoints_px, self.category, mask.shape, self.min_confidence) & ~mask
        try:
            features = (
                forms.shape_features(mask, keypoints_px, self.min_confidence),
                forms.shape_features(skin, keypoints_px, self.min_confidence),
            )
        except ValueError:  # no body frame: the sample cannot be placed in the feature window
            return Measured(form, None)
        return Measured(form, features)

    def count(self, measured: Measured) -> None:
        """Add a :meth:`measure` result; samples count in the order they are added."""
        self.read += 1
        if measured.features is None:
            self.unlabelled += 1
            return
        for source, row in zip(SOURCES, measured.features, strict=True):
            self._rows[source].append(row)
        self._labels.append(measured.form == forms.FORMS[self.category][1])

    def result(self) -> dict[str, Any]:
        """``{category, forms, samples_read, unlabelled, counts, results}`` (schemas/report.schema.json)."""
        pair = forms.FORMS.get(self.category)
        labels = np.asarray(self._labels, dtype=bool)
        if pair is None:
            reason = f"category {self.category.value} has no pair of forms to tell apart"
            results = [LeakageResult(source, None, 0, 0, 0, 0, reason) for source in SOURCES]
        else:
            results = [self._auc(source, labels) for source in SOURCES]
        return {
            "category": self.category.value,
            "forms": {"negative": pair[0], "positive": pair[1]} if pair else None,
            "samples_read": self.read,
            "unlabelled": self.unlabelled,
            "counts": {pair[0]: int((~labels).sum()), pair[1]: int(labels.sum())} if pair else {},
            "results": [result.as_dict() for result in results],
        }

    def _auc(self, source: str, labels: np.ndarray) -> LeakageResult:
        rows = self._rows[source]
        width = len(rows[0]) if rows else 0
        features = np.asarray(rows, dtype=np.float32).reshape(len(rows), width)
        return form_leakage_auc(features, labels, source=source)
