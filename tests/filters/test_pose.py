"""Pose filter on real samples: the category's joints, their confidence and their framing."""

from __future__ import annotations

import copy

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


def test_a_joint_outside_the_frame_gives_a_negative_margin(real_samples) -> None:
    sample = real_samples[0]
    width, height = sample.image_size
    stats = pose.measure(_moved(sample, left_hip=(width / 2, height + 50, 0.9)), 0.5)
    assert stats["pose.framing_margin"] < 0


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
