"""Score a whole set of masks against a ground-truth folder: what ``vtondata eval-masks`` runs.

Each mask is matched to its ground truth by stem (see
:mod:`vtondata.evaluate.sources`). A mask with ground truth of its size gets
every score of :mod:`vtondata.evaluate.metrics`; one without (no parse map or
keypoints under that stem, or another image size) gets only its area and
bounding box, with a note saying why. Over the scored samples whose old
garment's form can be read from the parse map, form leakage is measured from
the mask and from the visible limb skin, or refused with the reason.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vtondata.errors import InputError
from vtondata.evaluate import forms
from vtondata.evaluate.leakage import LeakageResult, form_leakage_auc
from vtondata.evaluate.metrics import MaskScores, limb_skin, score_mask
from vtondata.evaluate.parse_iou import SCORED_LABELS, label_iou, truth_parse_map
from vtondata.evaluate.sources import (
    GroundTruthFolder,
    dataset_category,
    is_vtondata_output,
    iter_masks,
    iter_parse_maps,
)
from vtondata.sample import ALL_CATEGORIES, Category

SCORE_NAMES: tuple[str, ...] = (
    "garment_coverage",
    "limb_coverage",
    "face_intrusion",
    "hair_intrusion",
    "hands_kept",
    "feet_kept",
    "background_excess",
    "area_ratio",
)
"""Scores summarised over samples, in table order."""


@dataclass(frozen=True)
class SampleEval:
    """One mask's outcome. ``bbox_xyxy_norm``: the mask's box as shares of width and height
    (``None`` for an empty mask); ``scores`` is ``None`` without ground truth, ``note`` says why
    (``area_ratio`` is ``None`` too when the mask itself could not be decoded)."""

    stem: str
    area_ratio: float | None
    bbox_xyxy_norm: tuple[float, float, float, float] | None
    scores: MaskScores | None = None
    form: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class EvalReport:
    """Everything ``eval-masks`` prints and writes; ``summary`` maps a score to its mean, min, max and n."""

    dataset: str
    masks: str
    category: str
    scheme: str
    samples: list[SampleEval]
    summary: dict[str, dict[str, float]]
    leakage: list[LeakageResult] = field(default_factory=list)
    parse_iou: dict[str, dict[str, float]] = field(default_factory=dict)
    """Per parse label: ``{"mean", "min", "n"}`` IoU of the output's ``parse.png`` against ground truth."""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def evaluate_masks(
    dataset: Path,
    masks: Path,
    category: Category | str | None = None,
    *,
    scheme: str = "lip",
    folds: int = 5,
    min_confidence: float = 0.2,
) -> EvalReport:
    """Score every mask under ``masks`` (vtondata output or PNG folder) against ``dataset``'s annotations.

    ``category`` defaults to the output's own when ``masks`` is a vtondata
    output and to ``upper`` otherwise.
    """
    masks, dataset = Path(masks), Path(dataset)
    if category is None:
        category = dataset_category(masks) if is_vtondata_output(masks) else Category.UPPER
    if category == ALL_CATEGORIES:
        raise InputError(f"{masks} holds masks of every category; pick one with --category")
    category = Category(category)
    truth_folder = GroundTruthFolder(dataset, scheme)
    samples: list[SampleEval] = []
    mask_rows, skin_rows, labels = [], [], []
    for stem, mask in iter_masks(masks, category):
        if isinstance(mask, str):
            samples.append(SampleEval(stem=stem, area_ratio=None, bbox_xyxy_norm=None, note=mask))
            continue
        truth = truth_folder.load(stem)
        base: dict[str, Any] = dict(stem=stem, area_ratio=float(mask.mean()), bbox_xyxy_norm=_bbox(mask))
        if truth is None:
            samples.append(SampleEval(**base, note="no parse map or keypoints for this stem"))
            continue
        if truth.label_map.shape != mask.shape:
            (height, width), (parse_h, parse_w) = mask.shape, truth.label_map.shape
            note = f"mask is {width}x{height}, parse map {parse_w}x{parse_h}"
            samples.append(SampleEval(**base, note=note))
            continue
        kp = truth.keypoints_px
        scores = score_mask(mask, truth.layers, kp, category, min_confidence=min_confidence)
        form = forms.form_from_label_map(
            truth.label_map, scheme, truth.layers["arms"], kp, category, min_confidence
        )
        samples.append(SampleEval(**base, scores=scores, form=form))
        if form is not None:
            skin = limb_skin(truth.layers, kp, category, mask.shape, min_confidence) & ~mask
            try:
                rows = (
                    forms.shape_features(mask, kp, min_confidence),
                    forms.shape_features(skin, kp, min_confidence),
                )
            except ValueError:  # no body frame: the sample cannot be placed in the feature window
                continue
            mask_rows.append(rows[0])
            skin_rows.append(rows[1])
            labels.append(form == forms.FORMS[category][1])
    return EvalReport(
        dataset=str(dataset),
        masks=str(masks),
        category=category.value,
        scheme=scheme,
        samples=samples,
        summary=summarise(samples),
        leakage=_leakage(category, mask_rows, skin_rows, labels, folds),
        parse_iou=_parse_iou(masks, truth_folder, category, min_confidence),
    )


def _parse_iou(
    out: Path, truth_folder: GroundTruthFolder, category: Category, min_confidence: float
) -> dict[str, dict[str, float]]:
    """Mean and lowest IoU per label over the output's parse maps that have ground truth of their size."""
    per_label: dict[str, list[float]] = {name: [] for name in SCORED_LABELS}
    for stem, predicted in iter_parse_maps(out, category):
        truth = truth_folder.load(stem)
        if truth is None or truth.label_map.shape != predicted.shape:
            continue
        expected = truth_parse_map(truth.layers, truth.keypoints_px, category, min_confidence)
        for name, iou in label_iou(predicted, expected).items():
            if iou is not None:
                per_label[name].append(iou)
    return {
        name: {"mean": float(np.mean(values)), "min": float(np.min(values)), "n": len(values)}
        for name, values in per_label.items()
        if values
    }


def summarise(samples: list[SampleEval]) -> dict[str, dict[str, float]]:
    """Per score: ``{"mean", "min", "max", "n"}`` over the samples that have it."""
    summary = {}
    for name in SCORE_NAMES:
        values = [
            getattr(sample.scores, name) if sample.scores is not None else sample.area_ratio
            for sample in samples
            if name == "area_ratio" or sample.scores is not None
        ]
        values = [value for value in values if value is not None]
        if values:
            summary[name] = {
                "mean": float(np.mean(values)),
                "min": float(np.min(values)),
                "max": float(np.max(values)),
                "n": len(values),
            }
    return summary


def _leakage(
    category: Category, mask_rows: list, skin_rows: list, labels: list[bool], folds: int
) -> list[LeakageResult]:
    if category not in forms.FORMS:
        reason = f"category {category.value} has no pair of forms to tell apart"
        return [LeakageResult(source, None, 0, 0, 0, 0, reason) for source in ("mask", "visible skin")]
    y = np.asarray(labels, dtype=bool)
    width = len(mask_rows[0]) if mask_rows else 0
    return [
        form_leakage_auc(
            np.asarray(rows, dtype=np.float32).reshape(len(rows), width), y, source=source, folds=folds
        )
        for source, rows in (("mask", mask_rows), ("visible skin", skin_rows))
    ]


def _bbox(mask: np.ndarray) -> tuple[float, float, float, float] | None:
    rows, cols = np.nonzero(mask)
    if rows.size == 0:
        return None
    height, width = mask.shape
    return (
        float(cols.min() / width),
        float(rows.min() / height),
        float((cols.max() + 1) / width),
        float((rows.max() + 1) / height),
    )
