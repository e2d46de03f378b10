"""OpenPose backend against controlnet-aux's real body model with random weights."""

from __future__ import annotations

import numpy as np
import pytest

from tests.backends.test_segment_sam2 import ingested
from tests.random_checkpoints import OPENPOSE_BODY, write_openpose_checkpoint
from vtondata.backends import build_pose_backend
from vtondata.backends.pose_openpose import people_from_openpose
from vtondata.config.pose import OpenposePoseConfig
from vtondata.errors import WeightsNotFound
from vtondata.geometry.keypoints import COCO18_FROM_CANONICAL
from vtondata.stages.pose import PoseStage


@pytest.fixture(scope="module")
def openpose_weights(tmp_path_factory):
    return write_openpose_checkpoint(tmp_path_factory.mktemp("weights"))


def test_two_photos_through_the_pose_stage(openpose_weights, monkeypatch):
    monkeypatch.setenv("VTONDATA_WEIGHTS", str(openpose_weights.parent))
    config = OpenposePoseConfig(device="cpu", detect_resolution_px=256)
    backend = build_pose_backend(config)
    assert backend.weights.path.name == OPENPOSE_BODY
    stage = PoseStage(config, backend)
    stage.setup()
    samples = stage.process_batch(ingested(2))
    for sample in samples:
        assert sample.meta["pose"]["backend"] == "openpose"
        assert "pose.num_people" in sample.stats
        if sample.accepted:
            assert sample.keypoints_px.shape == (19, 3) and sample.keypoints_px.dtype == np.float32
        else:
            assert sample.rejection.code in {"pose.no_person", "pose.multiple_people"}


def test_coco18_output_becomes_canonical_rows_with_confidences():
    rng = np.random.default_rng(0)
    coco18 = np.column_stack([rng.uniform(10, 200, 18), rng.uniform(10, 300, 18), rng.uniform(0.2, 0.9, 18)])
    candidate = np.column_stack([coco18, np.arange(18)])
    subset = np.concatenate([np.arange(18, dtype=float), [10.0, 18.0]])[None]
    subset[0, 4] = -1  # right wrist not found
    result = people_from_openpose(candidate, subset, scale=2.0)
    assert result.keypoints_px.shape == (1, 17, 3) and result.num_people == 1
    for row, canonical in enumerate(COCO18_FROM_CANONICAL):
        if canonical < 17 and row != 4:
            np.testing.assert_allclose(result.keypoints_px[0, canonical, :2], coco18[row, :2] * 2, rtol=1e-5)
            assert result.keypoints_px[0, canonical, 2] == pytest.approx(coco18[row, 2], rel=1e-5)
    assert result.keypoints_px[0, COCO18_FROM_CANONICAL[4], 2] == 0
    assert 0 < result.scores[0] < 1


def test_no_people_is_an_empty_result():
    assert people_from_openpose(np.zeros((0, 4)), np.zeros((0, 20))).num_people == 0


def test_missing_checkpoint_names_the_fetch_command(tmp_path, monkeypatch):
    monkeypatch.setenv("VTONDATA_WEIGHTS", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(WeightsNotFound, match=f"vtondata weights fetch {OPENPOSE_BODY}"):
        build_pose_backend(OpenposePoseConfig())
