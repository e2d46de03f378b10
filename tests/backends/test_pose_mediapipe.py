"""MediaPipe pose from the wheel's own model on real photos: one person, COCO mapping, silhouette."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.photos import real_photos
from vtondata.backends import build_pose_backend
from vtondata.config.pose import MediaPipePoseConfig
from vtondata.geometry.keypoints import J, load_openpose_json

pytestmark = pytest.mark.slow


def _rgb(path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


@pytest.fixture(scope="module")
def backend():
    backend = build_pose_backend(MediaPipePoseConfig())
    backend.load()
    return backend


@pytest.fixture(scope="module")
def predictions(backend):
    photos = real_photos()
    return photos, backend.predict([_rgb(path) for path in photos])


def test_every_photo_has_one_person_with_a_silhouette(predictions):
    photos, results = predictions
    assert len(results) == len(photos) == 16
    for path, result in zip(photos, results, strict=True):
        assert result.num_people == 1, path.name
        assert result.keypoints_px.shape == (1, 17, 3) and result.keypoints_px.dtype == np.float32
        assert result.silhouette.shape == (1024, 768) and result.silhouette.dtype == bool
        assert 0.1 < result.silhouette.mean() < 0.7, path.name
        x0, y0, x1, y1 = result.boxes_xyxy[0]
        assert 0 <= x0 < x1 <= 768 and 0 <= y0 < y1 <= 1024
        assert 0.25 < result.scores[0] <= 1


def test_left_and_right_follow_coco_and_match_the_ground_truth(predictions, vitonhd_dir):
    photos, results = predictions
    errors = []
    for path, result in zip(photos, results, strict=True):
        if path.parent.name != "image":
            continue
        truth = load_openpose_json(vitonhd_dir / "openpose-json" / f"{path.stem}_keypoints.json")
        keypoints = result.keypoints_px[0]
        for name in ("nose", "left_shoulder", "right_shoulder", "left_hip", "right_hip", "left_elbow"):
            row = J[name]
            if truth[row, 2] > 0.1 and keypoints[row, 2] > 0.3:
                errors.append(float(np.hypot(*(keypoints[row, :2] - truth[row, :2]))))
    assert len(errors) >= 25
    assert np.median(errors) < 25, errors


def test_a_blank_image_has_nobody_and_no_silhouette(backend):
    [result] = backend.predict([np.zeros((256, 192, 3), np.uint8)])
    assert result.num_people == 0 and result.silhouette is None
    assert result.keypoints_px.shape == (0, 17, 3)
