"""MaskStage: an adapter from samples to the agnostic mask, its statistics and its provenance."""

from __future__ import annotations

import pickle

import numpy as np

from tests.fakes import sample_from_image
from tests.synthetic import dress_body, make_body
from vtondata.config.mask import MaskConfig
from vtondata.geometry.agnostic import agnostic_mask
from vtondata.geometry.keypoints import J
from vtondata.runners.base import run_stage_batch
from vtondata.sample import Category
from vtondata.stages.mask import MaskStage

CONFIG = MaskConfig()


def _sample(key: str, category: Category = Category.UPPER, garment: str = "long_sleeve_tight"):
    dressed = dress_body(make_body("arms_down", 192, 256, scale_px=45.0), garment)
    sample = sample_from_image(dressed.image_rgb, key=key)
    sample.category = category
    sample.keypoints_px = dressed.keypoints_px.copy()
    sample.layers = dressed.layers()
    return sample, dressed


def test_stage_identity_and_resources() -> None:
    stage = MaskStage(CONFIG)
    assert stage.name == "mask"
    assert (stage.resources.num_cpus, stage.resources.batch_size, stage.resources.stateful) == (1, 8, False)
    assert pickle.loads(pickle.dumps(stage)).config == CONFIG


def test_accepted_sample_gets_mask_stats_and_provenance() -> None:
    sample, dressed = _sample("000000")
    (out,) = run_stage_batch(MaskStage(CONFIG), [sample])
    assert out.accepted
    expected = agnostic_mask(
        dressed.size_wh,
        dressed.keypoints_px,
        dressed.layers(),
        "upper",
        CONFIG.upper,
        min_confidence=CONFIG.min_keypoint_confidence,
    )
    assert np.array_equal(out.agnostic_mask, expected)
    assert out.stats["mask.garment_coverage"] == 1.0
    assert 0 < out.stats["mask.area_ratio"] < 0.5
    assert {"mask.person_coverage", "mask.joint_coverage"} <= set(out.stats)
    assert out.meta["mask"]["category"] == "upper"
    assert out.meta["mask"]["params"] == CONFIG.upper.model_dump(mode="json")


def test_each_sample_is_masked_for_its_own_category() -> None:
    upper, _ = _sample("000000")
    lower, dressed = _sample("000001", Category.LOWER, "long_skirt_loose")
    run_stage_batch(MaskStage(CONFIG), [upper, lower])
    knee = dressed.keypoints_px[J["left_knee"], :2].astype(int)
    assert lower.agnostic_mask[knee[1], knee[0]] and not upper.agnostic_mask[knee[1], knee[0]]
    assert lower.meta["mask"]["category"] == "lower"
    assert lower.stats["mask.garment_coverage"] == 1.0


def test_missing_joints_reject_with_their_names() -> None:
    sample, _ = _sample("000000")
    sample.keypoints_px[J["left_elbow"], 2] = 0.1
    sample.keypoints_px[J["left_wrist"], 2] = 0.0
    (out,) = run_stage_batch(MaskStage(CONFIG), [sample])
    assert out.rejection is not None and out.rejection.code == "mask.missing_joints"
    assert "left_elbow" in out.rejection.message and "left_wrist" in out.rejection.message
    assert out.agnostic_mask is None and "mask" not in out.meta


def test_a_rejection_says_why_each_joint_is_missing() -> None:
    dressed = dress_body(make_body("arms_down", 192, 256, scale_px=45.0), "long_sleeve_tight")
    bottom = int(dressed.keypoints_px[J["left_shoulder"], 1] + dressed.body.scale_px)  # above the hips
    sample = sample_from_image(np.ascontiguousarray(dressed.image_rgb[:bottom]), key="000000")
    sample.category = Category.UPPER
    keypoints = dressed.keypoints_px.copy()
    keypoints[keypoints[:, 1] >= bottom, 2] = 0.0  # a crop that ends well above the hips
    keypoints[J["left_elbow"], 2] = 0.0  # and an elbow hidden inside the photo
    sample.keypoints_px = keypoints
    (out,) = run_stage_batch(MaskStage(CONFIG), [sample])
    assert out.rejection is not None and out.rejection.code == "mask.missing_joints"
    message = out.rejection.message
    assert (
        "left_hip, right_hip: outside the photo, " in message and "shoulder widths past its edge" in message
    )
    assert "left_elbow: not detected in the photo" in message


def test_occluded_wrist_is_not_a_rejection() -> None:
    sample, _ = _sample("000000")
    sample.keypoints_px[J["right_wrist"], 2] = 0.05
    (out,) = run_stage_batch(MaskStage(CONFIG), [sample])
    assert out.accepted and out.agnostic_mask is not None


def test_sample_without_keypoints_becomes_a_stage_error() -> None:
    sample, _ = _sample("000000")
    sample.keypoints_px = None
    (out,) = run_stage_batch(MaskStage(CONFIG), [sample])
    assert out.rejection is not None and out.rejection.code == "mask.error"
