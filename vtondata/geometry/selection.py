"""Choose one of SAM2's multimask candidates, or none, and say why.

SAM2 answers an ambiguous prompt with three candidates (part, object, whole)
and a predicted IoU for each. The predicted IoU alone prefers confident
wrong answers (the whole person for a shirt prompt), so a candidate must also
agree with the pose **prior** of its layer (:func:`vtondata.geometry.prompts.layer_prior`):
agreement is the IoU between candidate and prior. Candidates under either
threshold are out; the rest are ranked by
``(1 - prior_weight) * predicted_iou + prior_weight * agreement``. When none
passes, the layer is rejected with a reason naming the best numbers, so a
missing layer is explained rather than silently absent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Selection:
    """The chosen candidate (``index`` into the candidates) or ``None`` with ``reason``.

    ``pred_iou`` and ``prior_agreement`` are the chosen candidate's, or the
    best values seen among all candidates when none was chosen.
    """

    index: int | None
    pred_iou: float
    prior_agreement: float
    reason: str

    @property
    def chosen(self) -> bool:
        return self.index is not None


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two ``HxW`` bool masks; 0.0 when both are empty."""
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 0.0


def select_candidate(
    masks: np.ndarray,
    pred_ious: np.ndarray,
    prior: np.ndarray,
    *,
    min_pred_iou: float,
    min_prior_agreement: float,
    prior_weight: float = 0.5,
) -> Selection:
    """Pick among ``masks`` ``(M, H, W)`` bool with ``pred_ious`` ``(M,)`` float against ``prior`` ``HxW``."""
    masks = np.asarray(masks, dtype=bool)
    pred_ious = np.asarray(pred_ious, dtype=np.float64).reshape(-1)
    if masks.ndim != 3 or masks.shape[0] != pred_ious.shape[0] or masks.shape[1:] != prior.shape:
        raise ValueError(f"masks {masks.shape}, pred_ious {pred_ious.shape} and prior {prior.shape} disagree")
    intersections = np.logical_and(masks, prior).sum(axis=(1, 2))
    return choose_candidate(
        pred_ious,
        intersections,
        masks.sum(axis=(1, 2)),
        int(prior.sum()),
        min_pred_iou=min_pred_iou,
        min_prior_agreement=min_prior_agreement,
        prior_weight=prior_weight,
    )


def choose_candidate(
    pred_ious: np.ndarray,
    intersections_px: np.ndarray,
    areas_px: np.ndarray,
    prior_area_px: int,
    *,
    min_pred_iou: float,
    min_prior_agreement: float,
    prior_weight: float = 0.5,
) -> Selection:
    """The rule of :func:`select_candidate` from pixel counts alone.

    ``intersections_px`` and ``areas_px`` (``(M,)``) are each candidate's
    overlap with the prior and its own area; counting them is the per-pixel
    work, which the SAM2 backend does where the masks are (on the GPU), so only
    these numbers reach the host.
    """
    pred_ious = np.asarray(pred_ious, dtype=np.float64).reshape(-1)
    intersections = np.asarray(intersections_px, dtype=np.float64).reshape(-1)
    areas = np.asarray(areas_px, dtype=np.float64).reshape(-1)
    if not pred_ious.shape == intersections.shape == areas.shape:
        raise ValueError(
            f"pred_ious {pred_ious.shape}, intersections {intersections.shape} "
            f"and areas {areas.shape} disagree"
        )
    if pred_ious.shape[0] == 0:
        return Selection(None, 0.0, 0.0, "no candidates")
    if prior_area_px <= 0:
        return Selection(None, float(pred_ious.max()), 0.0, "the pose gives no prior for this layer")
    unions = areas + prior_area_px - intersections
    agreements = np.divide(intersections, unions, out=np.zeros_like(unions), where=unions > 0)
    passing = (pred_ious >= min_pred_iou) & (agreements >= min_prior_agreement) & (areas > 0)
    if not passing.any():
        reason = _why_none(pred_ious, agreements, min_pred_iou, min_prior_agreement)
        return Selection(None, float(pred_ious.max()), float(agreements.max()), reason)
    ranking = np.where(passing, (1 - prior_weight) * pred_ious + prior_weight * agreements, -np.inf)
    best = int(np.argmax(ranking))
    return Selection(best, float(pred_ious[best]), float(agreements[best]), "chosen")


def _why_none(
    pred_ious: np.ndarray, agreements: np.ndarray, min_pred_iou: float, min_agreement: float
) -> str:
    confident = pred_ious >= min_pred_iou
    if not confident.any():
        return f"no candidate is confident: best predicted IoU {pred_ious.max():.2f} < {min_pred_iou:.2f}"
    return (
        f"no confident candidate agrees with the pose prior: best IoU with the prior "
        f"{agreements[confident].max():.2f} < {min_agreement:.2f}"
    )
