"""YOLO11n-pose from the shared weights on real photos: shapes, colour order, pixel accuracy."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.photos import real_photos
from vtondata.backends import build_pose_backend
from vtondata.config.pose import YoloPoseConfig
from vtondata.geometry.keypoints import J, load_openpose_json

pytestmark = pytest.mark.slow
TORSO = [J[name] for name in ("left_shoulder", "right_shoulder", "left_hip", "right_hip")]


def _rgb(path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


@pytest.fixture(scope="module")
def backend(weights_dir):
    backend = build_pose_backend(YoloPoseConfig(weights_sha256=None))
    backend.load()
    return backend


@pytest.fixture(scope="module")
def predictions(backend):
    photos = real_photos()
    return photos, backend.predict([_rgb(path) for path in photos])


def test_every_photo_has_a_confident_person_with_consistent_shapes(predictions):
    photos, results = predictions
    assert len(results) == len(photos) == 16
    for path, result in zip(photos, results, strict=True):
        n = result.num_people
        assert n >= 1, path.name
        assert result.keypoints_px.shape == (n, 17, 3) and result.keypoints_px.dtype == np.float32
        assert result.boxes_xyxy.shape == (n, 4) and result.scores.shape == (n,)
        assert result.silhouette is None
        assert result.scores.max() > 0.5
        x0, y0, x1, y1 = result.boxes_xyxy[result.scores.argmax()]
        assert 0 <= x0 < x1 <= 768 and 0 <= y0 < y1 <= 1024


def test_torso_joints_match_the_vitonhd_ground_truth(predictions, vitonhd_dir):
    photos, results = predictions
    errors = []
    for path, result in zip(photos, results, strict=True):
        if path.parent.name != "image":
            continue
        truth = load_openpose_json(vitonhd_dir / "openpose-json" / f"{path.stem}_keypoints.json")
        person = result.keypoints_px[result.scores.argmax()]
        for row in TORSO:
            if truth[row, 2] > 0.1:
                errors.append(float(np.hypot(*(person[row, :2] - truth[row, :2]))))
    assert len(errors) >= 20
    assert np.median(errors) < 25, errors


def test_blank_images_have_nobody_and_empty_batches_are_fine(backend):
    assert backend.predict([]) == []
    [result] = backend.predict([np.zeros((256, 192, 3), np.uint8)])
    assert result.num_people == 0 and result.keypoints_px.shape == (0, 17, 3)
