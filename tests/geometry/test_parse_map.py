"""The parse map every recipe writes: one label table, one painting order."""

from __future__ import annotations

import numpy as np

from tests.synthetic import dress_body, make_body
from vtondata.evaluate.parse_iou import label_iou, truth_parse_map
from vtondata.geometry.keypoints import J
from vtondata.geometry.parse_map import LABEL_ID, PARSE_LABELS, parse_map
from vtondata.geometry.parsing import parse_layers


def test_labels_are_ten_and_stable() -> None:
    assert PARSE_LABELS == {
        0: "background", 1: "hair", 2: "face", 3: "skin", 4: "upper_garment",
        5: "lower_garment", 6: "dress", 7: "hands", 8: "feet", 9: "other",
    }  # fmt: skip


def test_no_silhouette_no_parse_map() -> None:
    assert parse_map({"face": np.ones((4, 4), bool)}, np.zeros((19, 3), np.float32), "upper") is None


def test_body_parts_win_over_garments_and_the_remainder_splits_at_the_hips() -> None:
    dressed = dress_body(make_body("arms_down"), "short_sleeve_tight")
    layers = dressed.layers(garment=False, protected=True, skin=True)
    labels = parse_map(layers, dressed.keypoints_px, "upper")
    assert labels is not None and labels.dtype == np.uint8
    assert np.all(labels[dressed.face] == LABEL_ID["face"])
    assert np.all(labels[dressed.hands] == LABEL_ID["hands"])
    assert np.all(labels[~dressed.person] == LABEL_ID["background"])
    hip_y = dressed.keypoints_px[J["left_hip"], 1]
    top = labels == LABEL_ID["upper_garment"]
    bottom = labels == LABEL_ID["lower_garment"]
    assert top.any() and bottom.any()
    assert np.nonzero(top)[0].max() <= hip_y + 2 and np.nonzero(bottom)[0].min() >= hip_y - 2
    dress_labels = parse_map(layers, dressed.keypoints_px, "dress")
    assert dress_labels is not None and not np.isin(dress_labels, [4, 5]).any()


def test_the_waist_layer_moves_the_cut_between_the_garments() -> None:
    dressed = dress_body(make_body("arms_down"), "long_sleeve_loose")
    layers = dressed.layers(garment=False, protected=True, skin=True)
    hip_y = int(dressed.keypoints_px[J["left_hip"], 1])
    above = np.zeros(dressed.person.shape, dtype=bool)
    above[: hip_y + 30] = True
    labels = parse_map({**layers, "above_waist": above}, dressed.keypoints_px, "upper")
    assert labels is not None
    garments = np.isin(labels, [LABEL_ID["upper_garment"], LABEL_ID["lower_garment"]])
    assert np.all(labels[garments & above] == LABEL_ID["upper_garment"])
    assert np.all(labels[garments & ~above] == LABEL_ID["lower_garment"])
    assert (garments[hip_y : hip_y + 30]).any()  # the band the hip line would have called lower
    dress_labels = parse_map({**layers, "above_waist": above}, dressed.keypoints_px, "dress")
    assert dress_labels is not None and not np.isin(dress_labels, [4, 5]).any()


def test_limb_skin_is_painted_as_skin() -> None:
    dressed = dress_body(make_body("arms_out"), "short_sleeve_tight")
    layers = dressed.layers(garment=False, protected=True)
    labels = parse_map({**layers, "limb_skin": dressed.skin}, dressed.keypoints_px, "upper")
    assert labels is not None
    assert np.all(labels[dressed.skin & ~dressed.face & ~dressed.hands] == LABEL_ID["skin"])


def test_garment_layers_are_used_when_a_backend_gives_them() -> None:
    dressed = dress_body(make_body("arms_out"), "knee_skirt_loose")
    labels = parse_map(dressed.layers(garment=True), dressed.keypoints_px, "lower")
    assert labels is not None
    assert np.all(labels[dressed.garment_mask] == LABEL_ID["lower_garment"])
    assert not (labels == LABEL_ID["upper_garment"]).any()  # the top is not labelled upper from layers


def test_ground_truth_scored_against_itself_is_perfect() -> None:
    rng = np.random.default_rng(1)
    label_map = np.zeros((200, 150), np.uint8)
    label_map[20:60, 50:100] = 13  # LIP face
    label_map[10:25, 45:105] = 2  # hair
    label_map[60:140, 30:120] = 5  # upper clothes
    label_map[140:200, 40:110] = 9  # pants
    label_map[70:130, 15:30] = 14  # left arm
    keypoints = np.zeros((19, 3), np.float32)
    joints = {
        "left_shoulder": (110, 65), "right_shoulder": (40, 65), "left_hip": (95, 140),
        "right_hip": (55, 140), "left_elbow": (22, 100), "left_wrist": (22, 125),
    }  # fmt: skip
    for name, xy in joints.items():
        keypoints[J[name]] = (*xy, 0.9)
    layers = parse_layers(label_map, "lip")
    truth = truth_parse_map(layers, keypoints, "upper")
    scores = label_iou(truth, truth)
    assert all(value == 1.0 for value in scores.values() if value is not None)
    assert scores["face"] == 1.0 and scores["dress"] is None
    noisy = truth.copy()
    noisy[rng.random(noisy.shape) < 0.1] = 0
    assert 0.8 < label_iou(noisy, truth)["upper_garment"] < 0.95
