"""MediaPipe person segmentation on the VITON-HD sample, against its parse maps."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from vtondata.backends import build_segment_backend
from vtondata.config.segment import MediaPipeSegmentConfig

pytestmark = pytest.mark.slow


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


@pytest.fixture(scope="module")
def vitonhd_pairs(vitonhd_dir):
    pairs = []
    for path in sorted((vitonhd_dir / "image").glob("*.jpg")):
        image = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
        truth = np.array(Image.open(vitonhd_dir / "image-parse" / f"{path.stem}.png")) != 0
        pairs.append((image, truth))
    assert len(pairs) == 6
    return pairs


@pytest.mark.parametrize(("model", "min_iou"), [("pose", 0.95), ("selfie", 0.93)])
def test_person_layer_matches_the_parse_map(vitonhd_pairs, model, min_iou):
    backend = build_segment_backend(MediaPipeSegmentConfig(model=model))
    backend.load()
    images = [image for image, _ in vitonhd_pairs]
    results = backend.predict(images, [np.zeros((19, 3), np.float32)] * len(images))
    assert len(results) == 6
    for (_, truth), result in zip(vitonhd_pairs, results, strict=True):
        person = result.layers["person"]
        assert set(result.layers) == {"person"} and person.dtype == bool and person.shape == truth.shape
        assert _iou(person, truth) > min_iou
        assert 0.5 < result.scores["person_mean_prob"] <= 1


def test_a_blank_image_gives_an_empty_person_layer():
    backend = build_segment_backend(MediaPipeSegmentConfig())
    [result] = backend.predict([np.zeros((256, 192, 3), np.uint8)], [np.zeros((19, 3), np.float32)])
    assert not result.layers["person"].any()
    assert result.scores["person_mean_prob"] == 0


def test_images_and_keypoints_must_pair_up():
    backend = build_segment_backend(MediaPipeSegmentConfig(model="selfie"))
    with pytest.raises(ValueError, match="2 images but 1 keypoint arrays"):
        backend.predict([np.zeros((8, 8, 3), np.uint8)] * 2, [np.zeros((19, 3), np.float32)])
