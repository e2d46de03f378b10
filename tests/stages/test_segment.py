"""SegmentStage with injected fake backends: layers, statistics, rejection, pass-through."""

from __future__ import annotations

import numpy as np
import pytest

from tests.fakes import FakeSegmentBackend, letterbox_top_and_bottom, sample_from_image, standing_coco17
from vtondata.backends.base import SegmentResult
from vtondata.config.segment import MediaPipeSegmentConfig
from vtondata.geometry.keypoints import canonical_from_coco17
from vtondata.stages.segment import SegmentStage

WIDTH, HEIGHT = 80, 100


def _samples(count: int, with_pose: bool = True) -> list:
    image = np.full((HEIGHT, WIDTH, 3), 128, dtype=np.uint8)
    samples = [sample_from_image(image, key=f"{i:06d}", index=i) for i in range(count)]
    if with_pose:
        for sample in samples:
            sample.keypoints_px = canonical_from_coco17(standing_coco17(WIDTH, HEIGHT))
    return samples


def _layer(rows: slice, cols: slice) -> np.ndarray:
    layer = np.zeros((HEIGHT, WIDTH), dtype=bool)
    layer[rows, cols] = True
    return layer


def test_resources_and_setup():
    backend = FakeSegmentBackend()
    stage = SegmentStage(MediaPipeSegmentConfig(batch_size=2), backend)
    assert stage.name == "segment"
    assert (stage.resources.batch_size, stage.resources.stateful) == (2, True)
    stage.setup()
    assert backend.loads == 1


def test_layers_overwrite_and_statistics_are_namespaced():
    person = _layer(slice(0, 50), slice(0, 40))  # a quarter of the image
    garment = _layer(slice(0, 10), slice(0, 8))
    result = SegmentResult(
        layers={"person": person, "garment_upper": garment}, scores={"person_mean_prob": 0.8}
    )
    samples = _samples(1)
    samples[0].layers["person"] = np.ones((HEIGHT, WIDTH), dtype=bool)  # e.g. from the pose stage
    [sample] = SegmentStage(MediaPipeSegmentConfig(), FakeSegmentBackend([result])).process_batch(samples)
    assert sample.accepted
    np.testing.assert_array_equal(sample.layers["person"], person)
    np.testing.assert_array_equal(sample.layers["garment_upper"], garment)
    assert sample.stats["segment.person_area_ratio"] == pytest.approx(0.25)
    assert sample.stats["segment.garment_upper_area_ratio"] == pytest.approx(0.01)
    assert sample.stats["segment.person_mean_prob"] == pytest.approx(0.8)
    assert sample.meta["segment"] == {"backend": "fake-segment", "version": "0.0", "weights_sha256": None}


def test_an_empty_person_layer_is_rejected():
    empty = SegmentResult(
        layers={"person": np.zeros((HEIGHT, WIDTH), bool)}, scores={"person_mean_prob": 0.0}
    )
    [sample] = SegmentStage(MediaPipeSegmentConfig(), FakeSegmentBackend([empty])).process_batch(_samples(1))
    assert sample.rejection.code == "segment.no_person"
    assert sample.stats["segment.person_area_ratio"] == 0


def test_rejected_samples_pass_through_and_keypoints_reach_the_backend():
    backend = FakeSegmentBackend()
    samples = _samples(3)
    samples[0].reject("pose.no_person", "nobody")
    samples[2].keypoints_px = None
    SegmentStage(MediaPipeSegmentConfig(), backend).process_batch(samples)
    assert backend.batch_sizes == [2]
    np.testing.assert_array_equal(backend.keypoints_seen[0], samples[1].keypoints_px)
    assert backend.keypoints_seen[1].shape == (19, 3) and not backend.keypoints_seen[1].any()
    assert samples[0].layers == {} and samples[0].stats == {}
    assert samples[0].rejection.code == "pose.no_person"


def test_layers_stop_at_the_letterbox_bars():
    """No layer may label a bar's pixels: a face mesh or a hand cut by the frame is predicted on
    past the photo's edge."""
    face = _layer(slice(0, 30), slice(30, 50))  # from the top bar into the photo
    sample = letterbox_top_and_bottom(_samples(1)[0], 10)
    result = SegmentResult(layers={"person": face, "face": face}, scores={})
    [sample] = SegmentStage(MediaPipeSegmentConfig(), FakeSegmentBackend([result])).process_batch([sample])
    for name in ("person", "face"):
        assert not sample.layers[name][:10].any()
        np.testing.assert_array_equal(sample.layers[name][10:], face[10:])
    assert sample.stats["segment.face_area_ratio"] == pytest.approx(20 * 20 / (WIDTH * HEIGHT))
