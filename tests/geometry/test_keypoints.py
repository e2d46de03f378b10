"""Canonical keypoints: derived joints, OpenPose conversions, and the VITON-HD JSON layout."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.fakes import standing_coco17
from vtondata.geometry.keypoints import (
    J,
    body_scale_px,
    canonical_from_coco17,
    from_body25,
    load_openpose_json,
    openpose_json,
    to_body25,
    to_coco18,
)


def _canonical() -> np.ndarray:
    return canonical_from_coco17(standing_coco17(768, 1024))


def test_derived_joints_are_midpoints_with_the_weaker_confidence():
    coco = standing_coco17(768, 1024)
    coco[J["left_shoulder"], 2] = 0.4
    canonical = canonical_from_coco17(coco)
    assert canonical.shape == (19, 3) and canonical.dtype == np.float32
    expected_neck = (coco[J["left_shoulder"], :2] + coco[J["right_shoulder"], :2]) / 2
    np.testing.assert_allclose(canonical[J["neck"], :2], expected_neck)
    assert canonical[J["neck"], 2] == pytest.approx(0.4)
    expected_hip = (coco[J["left_hip"], :2] + coco[J["right_hip"], :2]) / 2
    np.testing.assert_allclose(canonical[J["mid_hip"], :2], expected_hip)


def test_body25_and_coco18_round_trip_to_canonical():
    canonical = _canonical()
    np.testing.assert_allclose(from_body25(to_body25(canonical)), canonical)
    np.testing.assert_allclose(from_body25(to_coco18(canonical)), canonical)
    body25 = to_body25(canonical)
    assert body25.shape == (25, 3)
    np.testing.assert_array_equal(body25[19:], 0)  # feet are not in the canonical layout
    np.testing.assert_allclose(body25[1], canonical[J["neck"]])
    np.testing.assert_allclose(body25[2], canonical[J["right_shoulder"]])


def test_openpose_json_has_the_vitonhd_layout(vitonhd_dir):
    reference = json.loads(next((vitonhd_dir / "openpose-json").glob("*.json")).read_text())
    ours = openpose_json(_canonical())
    assert ours.keys() == reference.keys()
    assert ours["version"] == reference["version"] == 1.3
    assert len(ours["people"]) == 1
    assert ours["people"][0].keys() == reference["people"][0].keys()
    assert (
        len(ours["people"][0]["pose_keypoints_2d"]) == len(reference["people"][0]["pose_keypoints_2d"]) == 75
    )
    json.dumps(ours)  # plain JSON types only


def test_vitonhd_ground_truth_survives_load_and_write_back(vitonhd_dir):
    files = sorted((vitonhd_dir / "openpose-json").glob("*.json"))
    assert len(files) == 6
    for path in files:
        reference = np.asarray(json.loads(path.read_text())["people"][0]["pose_keypoints_2d"]).reshape(25, 3)
        canonical = load_openpose_json(path)
        assert canonical.shape == (19, 3)
        written = np.asarray(openpose_json(canonical)["people"][0]["pose_keypoints_2d"]).reshape(25, 3)
        np.testing.assert_allclose(written[:19], reference[:19], atol=1e-3)
        np.testing.assert_array_equal(written[19:], 0)


def test_openpose_json_round_trips_and_zeroes_undetected_joints():
    canonical = _canonical()
    canonical[J["left_wrist"]] = (123.0, 456.0, 0.0)
    document = openpose_json(canonical)
    flat = document["people"][0]["pose_keypoints_2d"]
    left_wrist_row = 7  # BODY_25 LWrist
    assert flat[3 * left_wrist_row : 3 * left_wrist_row + 3] == [0.0, 0.0, 0.0]
    loaded = load_openpose_json(document)
    confident = canonical[:, 2] > 0
    np.testing.assert_allclose(loaded[confident], canonical[confident], atol=1e-3)
    assert loaded[J["left_wrist"], 2] == 0


def test_a_document_without_people_loads_as_no_joints():
    assert not load_openpose_json({"version": 1.3, "people": []}).any()


def test_a_truncated_keypoint_list_is_refused():
    with pytest.raises(ValueError, match="multiple of 3"):
        load_openpose_json({"people": [{"pose_keypoints_2d": [1.0, 2.0]}]})


def test_body_scale_is_the_shoulder_width_or_a_torso_fallback():
    canonical = _canonical()
    shoulders = canonical[J["left_shoulder"], :2] - canonical[J["right_shoulder"], :2]
    assert body_scale_px(canonical) == pytest.approx(float(np.hypot(*shoulders)))
    canonical[J["left_shoulder"], 2] = 0
    torso = canonical[J["neck"], :2] - canonical[J["mid_hip"], :2]
    canonical[J["neck"], 2] = 0.9
    assert body_scale_px(canonical) == pytest.approx(0.45 * float(np.hypot(*torso)))
