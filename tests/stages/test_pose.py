"""PoseStage with injected fake backends: dominant person, rejections, statistics, pass-through."""

from __future__ import annotations

import numpy as np
import pytest

from tests.fakes import (
    FakePoseBackend,
    letterbox_top_and_bottom,
    person_result,
    sample_from_image,
    standing_coco17,
)
from vtondata.backends.base import PoseResult
from vtondata.config.pose import MediaPipePoseConfig, YoloPoseConfig
from vtondata.geometry.keypoints import J
from vtondata.stages.pose import PoseStage

WIDTH, HEIGHT = 96, 128


def _samples(count: int) -> list:
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 255, (HEIGHT, WIDTH, 3), dtype=np.uint8) for _ in range(count)]
    return [sample_from_image(image, key=f"{i:06d}", index=i) for i, image in enumerate(images)]


def _person(box, score=0.9, confidence=0.9):
    return (standing_coco17(WIDTH, HEIGHT, confidence), box, score)


def test_resources_and_setup_load_the_backend_once_and_teardown_closes_it():
    backend = FakePoseBackend()
    stage = PoseStage(YoloPoseConfig(batch_size=3), backend)
    assert stage.name == "pose"
    assert (stage.resources.batch_size, stage.resources.stateful, stage.resources.num_gpus) == (3, True, 0)
    stage.setup()
    assert (backend.loads, backend.closes) == (1, 0)
    stage.teardown()
    assert (backend.loads, backend.closes) == (1, 1)


def test_one_person_gives_canonical_keypoints_stats_and_meta():
    coco = standing_coco17(WIDTH, HEIGHT)
    coco[J["left_hip"], 2] = 0.4
    backend = FakePoseBackend([person_result([(coco, (20, 5, 70, 120), 0.8)])])
    [sample] = PoseStage(YoloPoseConfig(), backend).process_batch(_samples(1))
    assert sample.accepted
    assert sample.keypoints_px.shape == (19, 3) and sample.keypoints_px.dtype == np.float32
    np.testing.assert_allclose(sample.keypoints_px[:17], coco)
    assert sample.stats["pose.num_people"] == 1
    assert sample.stats["pose.person_score"] == pytest.approx(0.8)
    assert sample.stats["pose.conf_min_torso"] == pytest.approx(0.4)
    assert sample.stats["pose.conf_mean"] == pytest.approx(coco[:, 2].mean())
    assert sample.stats["pose.secondary_area_ratio"] == 0
    assert sample.meta["pose"] == {"backend": "fake-pose", "version": "0.0", "weights_sha256": None}
    assert "person" not in sample.layers


def test_the_backend_sees_one_batch_of_accepted_images_only():
    backend = FakePoseBackend()
    samples = _samples(4)
    samples[1].reject("ingest.truncated", "cut short")
    out = PoseStage(YoloPoseConfig(), backend).process_batch(samples)
    assert out is samples
    assert backend.batch_sizes == [3]
    assert samples[1].keypoints_px is None and samples[1].stats == {} and "pose" not in samples[1].meta
    assert samples[1].rejection.code == "ingest.truncated"
    assert all(samples[i].keypoints_px is not None for i in (0, 2, 3))


def test_a_batch_of_rejected_samples_never_calls_the_backend():
    backend = FakePoseBackend()
    samples = _samples(2)
    for sample in samples:
        sample.reject("ingest.too_small", "tiny")
    PoseStage(YoloPoseConfig(), backend).process_batch(samples)
    assert backend.batch_sizes == []


def test_no_detection_is_rejected_as_no_person():
    backend = FakePoseBackend([PoseResult.empty()])
    [sample] = PoseStage(YoloPoseConfig(), backend).process_batch(_samples(1))
    assert sample.rejection.code == "pose.no_person"
    assert "0 detections" in sample.rejection.message
    assert sample.stats["pose.num_people"] == 0
    assert sample.keypoints_px is None


def test_only_weak_detections_are_rejected_with_the_best_score():
    backend = FakePoseBackend([person_result([_person((0, 0, 90, 120), score=0.1)])])
    [sample] = PoseStage(YoloPoseConfig(min_person_score=0.25), backend).process_batch(_samples(1))
    assert sample.rejection.code == "pose.no_person"
    assert "1 detections, best score 0.10" in sample.rejection.message
    assert ">= 0.25" in sample.rejection.message


def test_two_people_of_similar_size_are_rejected_with_their_ratio():
    people = [_person((0, 0, 40, 100)), _person((50, 0, 86, 100))]
    backend = FakePoseBackend([person_result(people)])
    [sample] = PoseStage(YoloPoseConfig(max_secondary_person_ratio=0.35), backend).process_batch(_samples(1))
    assert sample.rejection.code == "pose.multiple_people"
    assert "2 people" in sample.rejection.message
    assert "0.90" in sample.rejection.message and "0.35" in sample.rejection.message
    assert sample.stats["pose.num_people"] == 2
    assert sample.stats["pose.secondary_area_ratio"] == pytest.approx(0.9)
    assert sample.keypoints_px is None


def test_a_small_background_person_is_ignored_and_the_large_one_kept():
    small = standing_coco17(WIDTH, HEIGHT) * np.array([0.2, 0.2, 1], np.float32)
    people = [(small, (0, 0, 20, 25), 0.95), _person((10, 5, 90, 125), score=0.7)]
    backend = FakePoseBackend([person_result(people)])
    [sample] = PoseStage(YoloPoseConfig(), backend).process_batch(_samples(1))
    assert sample.accepted
    assert sample.stats["pose.person_score"] == pytest.approx(0.7)
    np.testing.assert_allclose(sample.keypoints_px[:17], people[1][0])


def test_a_backend_silhouette_becomes_the_person_layer():
    silhouette = np.zeros((HEIGHT, WIDTH), dtype=bool)
    silhouette[10:120, 20:70] = True
    backend = FakePoseBackend([person_result([_person((20, 10, 70, 120))], silhouette=silhouette)])
    [sample] = PoseStage(MediaPipePoseConfig(), backend).process_batch(_samples(1))
    np.testing.assert_array_equal(sample.layers["person"], silhouette)


def test_a_backend_that_loses_results_fails_the_batch_loudly():
    class Lossy(FakePoseBackend):
        def predict(self, images_rgb, *, sources=()):
            return super().predict(images_rgb, sources=sources)[:-1]

    with pytest.raises(RuntimeError, match="returned 1 results for 2"):
        PoseStage(YoloPoseConfig(), Lossy()).process_batch(_samples(2))


def test_the_person_layer_stops_at_the_letterbox_bars():
    """A silhouette cut by the frame runs on into the bars ingest added; the layer keeps the photo only."""
    silhouette = np.zeros((HEIGHT, WIDTH), dtype=bool)
    silhouette[:100, 20:70] = True  # a head cut by the photo's top edge, predicted on into the bar
    backend = FakePoseBackend([person_result([_person((20, 10, 70, 120))], silhouette=silhouette)])
    sample = letterbox_top_and_bottom(_samples(1)[0], 16)
    [sample] = PoseStage(MediaPipePoseConfig(), backend).process_batch([sample])
    assert not sample.layers["person"][:16].any()
    np.testing.assert_array_equal(sample.layers["person"][16:], silhouette[16:])
