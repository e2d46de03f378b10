"""Joints outside the photo: placed when the garment is still in frame, refused otherwise."""

from __future__ import annotations

import numpy as np
import pytest

from tests.synthetic import POSES, dress_body, make_body
from vtondata.config.mask import MaskConfig
from vtondata.geometry.agnostic import agnostic_mask, missing_joints
from vtondata.geometry.keypoints import J
from vtondata.geometry.out_of_frame import (
    HIPS,
    MAX_OUTSIDE_PER_SCALE,
    PLACEABLE,
    place_out_of_frame,
    why_missing,
)


def _cut_below(keypoints: np.ndarray, bottom: float) -> np.ndarray:
    """Keypoints as a pose model reports a photo cut at ``bottom``: joints below it undetected."""
    kp = keypoints.copy()
    kp[kp[:, 1] >= bottom, 2] = 0.0
    kp[kp[:, 2] == 0.0, :2] = 0.0  # the annotation backends give no position either
    return kp


@pytest.mark.parametrize("pose", POSES)
def test_hips_just_below_a_half_body_crop_are_placed_near_their_true_place(pose: str) -> None:
    body = make_body(pose)
    s = body.scale_px
    hip_y = body.keypoints_px[[J[n] for n in HIPS], 1].min()
    bottom = int(hip_y - 0.1 * s)
    kp = _cut_below(body.keypoints_px, bottom)
    frame = (0, 0, 768, bottom)
    assert set(missing_joints(kp, "upper", 0.2)) >= set(HIPS)
    assert not set(missing_joints(kp, "upper", 0.2, frame)) & set(HIPS)
    placed, names = place_out_of_frame(kp, frame, PLACEABLE["upper"], 0.2)
    assert set(HIPS) <= set(names)
    for name in HIPS:
        error = np.linalg.norm(placed[J[name], :2] - body.keypoints_px[J[name], :2])
        assert error < 0.35 * s, (name, error / s)
        assert placed[J[name], 1] >= bottom


def test_a_crop_that_cuts_the_garment_is_still_refused() -> None:
    body = make_body("arms_down")
    shoulder_y = body.keypoints_px[J["left_shoulder"], 1]
    bottom = int(shoulder_y + 0.5 * body.scale_px)  # head and shoulders only
    kp = _cut_below(body.keypoints_px, bottom)
    assert set(missing_joints(kp, "upper", 0.2, (0, 0, 768, bottom))) >= set(HIPS)


def test_an_undetected_joint_inside_the_frame_still_rejects() -> None:
    body = make_body("arms_down")
    kp = body.keypoints_px.copy()
    kp[J["left_hip"], 2] = 0.05  # hidden, yet its place is in the photo
    assert "left_hip" in missing_joints(kp, "upper", 0.2, (0, 0, 768, 1024))
    assert (
        why_missing(kp, "left_hip", (0, 0, 768, 1024), PLACEABLE["upper"], 0.2) == "not detected in the photo"
    )


def test_a_refusal_says_how_far_outside_the_photo_the_joint_lies() -> None:
    body = make_body("arms_down")
    bottom = int(body.keypoints_px[J["left_shoulder"], 1] + 0.5 * body.scale_px)  # head and shoulders
    frame = (0, 0, 768, bottom)
    kp = _cut_below(body.keypoints_px, bottom)
    for name in HIPS:
        why = why_missing(kp, name, frame, PLACEABLE["upper"], 0.2)
        past = float(why.split("outside the photo, ")[1].split(" shoulder widths")[0])
        assert MAX_OUTSIDE_PER_SCALE < past < 1.5, why
    # A category that places no joint: outside is outside.
    above_knees = int(body.keypoints_px[J["left_knee"], 1] - 0.1 * body.scale_px)
    knees = _cut_below(body.keypoints_px, above_knees)
    assert (
        why_missing(knees, "left_knee", (0, 0, 768, above_knees), PLACEABLE["lower"], 0.2)
        == "outside the photo"
    )


def test_lower_and_dress_never_place_hips_or_knees() -> None:
    body = make_body("arms_down")
    knee_y = body.keypoints_px[J["left_knee"], 1]
    bottom = int(knee_y - 0.1 * body.scale_px)
    kp = _cut_below(body.keypoints_px, bottom)
    for category in ("lower", "dress"):
        assert {"left_knee", "right_knee"} <= set(missing_joints(kp, category, 0.2, (0, 0, 768, bottom)))


def test_the_model_own_off_frame_position_wins_over_the_estimate() -> None:
    body = make_body("arms_down")
    kp = body.keypoints_px.copy()
    bottom = int(kp[J["left_hip"], 1] - 0.1 * body.scale_px)
    kp[[J[n] for n in HIPS], 2] = 0.05  # a model that still predicts where they are
    placed, names = place_out_of_frame(kp, (0, 0, 768, bottom), PLACEABLE["upper"], 0.2)
    assert set(HIPS) <= set(names)
    np.testing.assert_allclose(placed[[J[n] for n in HIPS], :2], kp[[J[n] for n in HIPS], :2])


def test_mask_of_a_letterboxed_half_body_photo_stays_inside_the_photo() -> None:
    dressed = dress_body(make_body("arms_down"), "long_sleeve_tight")
    bottom = int(dressed.keypoints_px[J["left_hip"], 1] - 0.1 * dressed.body.scale_px)
    kp = _cut_below(dressed.keypoints_px, bottom)
    layers = {name: layer[:bottom] for name, layer in dressed.layers(garment=False).items()}
    padded = {name: np.pad(layer, ((0, 1024 - bottom), (0, 0))) for name, layer in layers.items()}
    mask = agnostic_mask((768, 1024), kp, padded, "upper", MaskConfig().upper, frame_xyxy=(0, 0, 768, bottom))
    assert mask[:bottom].any() and not mask[bottom:].any()
    garment = dressed.garment_mask[:bottom]
    assert np.count_nonzero(mask[:bottom] & garment) / np.count_nonzero(garment) > 0.99
