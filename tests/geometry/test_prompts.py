"""Pose-derived SAM2 prompts land on the right body parts of synthetic people with known labels."""

from __future__ import annotations

import numpy as np
import pytest

from tests.synthetic import LABEL, POSES, dress_body, make_body
from vtondata.geometry.prompts import LAYERS, layer_prior, layer_prompts
from vtondata.geometry.selection import mask_iou

SIZE_WH = (768, 1024)


def _labels_at(labels: np.ndarray, points: np.ndarray) -> list[int]:
    return [int(labels[round(y), round(x)]) for x, y in points]


@pytest.mark.parametrize("pose", POSES)
def test_upper_garment_positives_on_the_shirt_negatives_off_it(pose):
    dressed = dress_body(make_body(pose), "long_sleeve_tight")
    (prompt,) = layer_prompts(dressed.keypoints_px, SIZE_WH, ["garment_upper"])
    at = _labels_at(dressed.labels, prompt.points_px)
    positives = [label for label, flag in zip(at, prompt.labels, strict=True) if flag == 1]
    negatives = [label for label, flag in zip(at, prompt.labels, strict=True) if flag == 0]
    assert positives and all(label == LABEL["upper_garment"] for label in positives)
    assert negatives and all(label != LABEL["upper_garment"] for label in negatives)
    assert LABEL["face"] in negatives and LABEL["background"] in negatives


@pytest.mark.parametrize("garment", ["trousers_tight", "long_skirt_loose"])
def test_lower_garment_positives_on_hips_and_thighs(garment):
    dressed = dress_body(make_body("arms_down"), garment)
    (prompt,) = layer_prompts(dressed.keypoints_px, SIZE_WH, ["garment_lower"])
    at = _labels_at(dressed.labels, prompt.points_px[prompt.labels == 1])
    assert all(label == LABEL["lower_garment"] for label in at)


def test_box_spans_the_garment_and_stays_in_the_image():
    dressed = dress_body(make_body("arms_out"), "short_sleeve_loose")
    (prompt,) = layer_prompts(dressed.keypoints_px, SIZE_WH, ["garment_upper"])
    ys, xs = np.nonzero(dressed.garment_mask)
    x0, y0, x1, y1 = prompt.box_xyxy
    inside = (xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)
    assert inside.mean() > 0.9
    assert 0 <= x0 < x1 <= SIZE_WH[0] - 1 and 0 <= y0 < y1 <= SIZE_WH[1] - 1


def test_every_layer_gets_prompts_and_per_side_parts_get_two():
    body = make_body("arms_down")
    prompts = layer_prompts(body.keypoints_px, SIZE_WH, LAYERS)
    counts = {layer: sum(p.layer == layer for p in prompts) for layer in LAYERS}
    assert counts == {layer: 2 if layer in ("hands", "feet", "arms", "legs") else 1 for layer in LAYERS}
    hands = [p for p in prompts if p.layer == "hands"]
    assert all(_labels_at(body.labels, p.points_px[:1]) == [LABEL["hand"]] for p in hands)
    (face,) = [p for p in prompts if p.layer == "face"]
    assert _labels_at(body.labels, face.points_px[:1]) == [LABEL["face"]]


def test_priors_overlap_their_ground_truth():
    dressed = dress_body(make_body("arms_down"), "long_sleeve_tight")
    shape = dressed.labels.shape
    assert mask_iou(layer_prior("garment_upper", dressed.keypoints_px, shape), dressed.garment_mask) > 0.5
    assert mask_iou(layer_prior("person", dressed.keypoints_px, shape), dressed.person) > 0.5
    face = layer_prior("face", dressed.keypoints_px, shape)
    assert (face & dressed.face).sum() / face.sum() > 0.8


def test_no_pose_gives_no_prompts_and_empty_priors():
    zeros = np.zeros((19, 3), dtype=np.float32)
    assert layer_prompts(zeros, SIZE_WH, LAYERS) == []
    assert not layer_prior("garment_upper", zeros, (1024, 768)).any()


def test_unknown_layer_is_refused():
    with pytest.raises(ValueError, match="unknown layer"):
        layer_prompts(make_body("arms_down").keypoints_px, SIZE_WH, ["shoes"])
