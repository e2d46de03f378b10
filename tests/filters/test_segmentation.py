"""Segment filter on real samples: agreement with the pose, blobs and foreground outside the person."""

from __future__ import annotations

import copy

import cv2
import numpy as np

from vtondata.filters import segmentation


def test_clean_silhouettes_agree_with_pose(real_samples) -> None:
    for sample in real_samples:
        stats = segmentation.measure(sample, 0.5)
        assert stats["segment.person_components"] == 1
        assert stats["segment.torso_in_person"] > 0.9 and stats["segment.joints_in_person"] >= 0.75
        assert stats["segment.outside_foreground"] < 0.01


def test_a_silhouette_moved_off_the_pose_disagrees(real_samples) -> None:
    sample = copy.copy(real_samples[0])
    person = sample.layers["person"]
    sample.layers = {**sample.layers, "person": np.roll(person, person.shape[1] // 2, axis=1)}
    stats = segmentation.measure(sample, 0.5)
    assert stats["segment.torso_in_person"] < 0.5


def test_two_blobs_count_as_two_people() -> None:
    person = np.zeros((100, 100), dtype=bool)
    person[10:90, 5:30] = True
    person[10:90, 60:90] = True
    person[0:2, 0:2] = True
    assert segmentation.count_components(person) == 2


def test_a_second_person_outside_the_silhouette_is_foreground(real_samples) -> None:
    sample = copy.copy(real_samples[0])
    rgb = sample.image_rgb()
    width = rgb.shape[1]
    pasted = rgb.copy()
    pasted[:, : width // 3] = cv2.resize(rgb[:, width // 3 : 2 * width // 3], (width // 3, rgb.shape[0]))
    sample.person_jpg = cv2.imencode(".png", cv2.cvtColor(pasted, cv2.COLOR_RGB2BGR))[1].tobytes()
    sample._image_cache = None
    sample.layers = {**sample.layers, "person": sample.layers["person"].copy()}
    sample.layers["person"][:, : width // 3] = False
    assert segmentation.measure(sample, 0.5)["segment.outside_foreground"] > 0.05
