"""Choosing among SAM2 multimask candidates: predicted IoU alone is not enough, the pose prior decides."""

from __future__ import annotations

import numpy as np
import pytest

from tests.synthetic import dress_body, make_body
from vtondata.geometry.prompts import layer_prior
from vtondata.geometry.selection import mask_iou, select_candidate


@pytest.fixture(scope="module")
def shirt():
    dressed = dress_body(make_body("arms_down"), "long_sleeve_tight")
    prior = layer_prior("garment_upper", dressed.keypoints_px, dressed.labels.shape)
    return dressed, prior


def _patch(shape, box):
    mask = np.zeros(shape, dtype=bool)
    y0, y1, x0, x1 = box
    mask[y0:y1, x0:x1] = True
    return mask


def test_the_garment_wins_over_a_more_confident_whole_person(shirt):
    dressed, prior = shirt
    candidates = np.stack([dressed.person, dressed.garment_mask, _patch(prior.shape, (400, 420, 380, 400))])
    pick = select_candidate(candidates, np.array([0.97, 0.88, 0.93]), prior, min_pred_iou=0.5,
                            min_prior_agreement=0.25)  # fmt: skip
    assert pick.index == 1 and pick.chosen
    assert pick.prior_agreement == pytest.approx(mask_iou(dressed.garment_mask, prior))
    assert pick.pred_iou == pytest.approx(0.88)


def test_none_agreeing_is_rejected_with_the_best_agreement(shirt):
    dressed, prior = shirt
    candidates = np.stack([dressed.face, dressed.feet, _patch(prior.shape, (0, 50, 0, 50))])
    pick = select_candidate(candidates, np.array([0.9, 0.9, 0.9]), prior, min_pred_iou=0.5,
                            min_prior_agreement=0.25)  # fmt: skip
    assert pick.index is None and not pick.chosen
    assert "agrees with the pose prior" in pick.reason and "< 0.25" in pick.reason


def test_unconfident_candidates_are_rejected_even_when_they_agree(shirt):
    dressed, prior = shirt
    pick = select_candidate(dressed.garment_mask[None], np.array([0.2]), prior, min_pred_iou=0.5,
                            min_prior_agreement=0.25)  # fmt: skip
    assert pick.index is None and "confident" in pick.reason and "0.20 < 0.50" in pick.reason


def test_an_empty_prior_rejects_everything(shirt):
    dressed, _ = shirt
    empty = np.zeros(dressed.labels.shape, dtype=bool)
    pick = select_candidate(dressed.garment_mask[None], np.array([0.9]), empty, min_pred_iou=0.5,
                            min_prior_agreement=0.25)  # fmt: skip
    assert pick.index is None and "no prior" in pick.reason


def test_shapes_must_agree(shirt):
    dressed, prior = shirt
    with pytest.raises(ValueError, match="disagree"):
        select_candidate(dressed.garment_mask[None], np.array([0.9, 0.8]), prior, min_pred_iou=0.5,
                         min_prior_agreement=0.25)  # fmt: skip
