"""Pose filter on real samples: the category's joints, their confidence and their framing."""

from __future__ import annotations

import copy

import numpy as np

from vtondata.filters import pose
from vtondata.geometry.keypoints import J
from vtondata.sample import Category


def _moved(sample, **changes):
    changed = copy.copy(sample)
    changed.keypoints_px = sample.keypoints_px.copy()
    for name, (x, y, confidence) in changes.items():
        changed.keypoints_px[J[name]] = (x, y, confidence)
    return changed


def test_clean_photos_are_complete_and_framed(real_samples) -> None:
    for sample in real_samples:
        stats = pose.measure(sample, 0.5)
        assert stats["pose.joint_completeness"] >= 0.75
        assert 0 < stats["pose.framing_margin"] < 0.5
        assert stats["pose.joint_conf_min"] <= stats["pose.joint_conf_mean"]


def test_an_anchor_outside_the_frame_gives_a_negative_margin(real_samples) -> None:
    sample = real_samples[0]
    width, height = sample.image_size
    stats = pose.measure(_moved(sample, left_shoulder=(width / 2, height + 50, 0.9)), 0.5)
    assert stats["pose.framing_margin"] < 0


def test_joints_cut_by_the_frame_are_left_out_and_cost_only_body_in_frame(real_samples) -> None:
    """A half-body photo: hips below the bottom edge, unseen there, do not count as missing joints."""
    sample = real_samples[0]
    width, height = sample.image_size
    clean = pose.measure(sample, 0.5)
    cut = pose.measure(
        _moved(
            sample, left_hip=(width * 0.45, height * 1.3, 0.05), right_hip=(width * 0.55, height * 1.3, 0.05)
        ),
        0.5,
    )
    inside = [sample.keypoints_px[J[name], 2] for name in ("left_shoulder", "right_shoulder", "left_elbow")]
    inside += [sample.keypoints_px[J[name], 2] for name in ("right_elbow", "left_wrist", "right_wrist")]
    assert cut["pose.joint_completeness"] == float(np.mean(np.asarray(inside) > 0.5))
    assert cut["pose.framing_margin"] == clean["pose.framing_margin"]
    assert 0.2 < cut["pose.body_in_frame"] < clean["pose.body_in_frame"] == 1.0


def test_an_unseen_joint_lowers_completeness_and_confidence(real_samples) -> None:
    sample = real_samples[0]
    x, y, _ = sample.keypoints_px[J["left_shoulder"]]
    clean = pose.measure(sample, 0.5)
    stats = pose.measure(_moved(sample, left_shoulder=(x, y, 0.1)), 0.5)
    assert stats["pose.joint_completeness"] <= clean["pose.joint_completeness"] - 1 / 8 + 1e-9
    assert abs(stats["pose.joint_conf_min"] - min(clean["pose.joint_conf_min"], 0.1)) < 1e-6


def test_joints_follow_the_category(real_samples) -> None:
    sample = _moved(real_samples[0], left_ankle=(0, 0, 0.0))
    upper = pose.measure(sample, 0.5)
    sample.category = Category.LOWER
    lower = pose.measure(sample, 0.5)
    assert upper["pose.joint_conf_min"] > 0 and lower["pose.joint_conf_min"] == 0
