"""Pose agreement between two models: distances in shoulder widths over the joints both see in the photo."""

from __future__ import annotations

import pickle

import numpy as np

from tests.fakes import FakePoseBackend, person_result, standing_coco17
from vtondata.config.quality import QualityConfig
from vtondata.filters.agreement import NO_AGREEMENT, agreement_distance
from vtondata.geometry.keypoints import J, canonical_from_coco17
from vtondata.runners.base import run_stage_batch
from vtondata.stages.quality import QualityStage

SIZE_WH = (768, 1024)
COCO = standing_coco17(*SIZE_WH)
PRIMARY = canonical_from_coco17(COCO)
SHOULDER_PX = float(np.linalg.norm(COCO[5, :2] - COCO[6, :2]))


def test_the_same_pose_agrees_and_a_moved_wrist_is_measured_in_shoulder_widths() -> None:
    assert agreement_distance(PRIMARY, COCO[None], "upper", 0.5, SIZE_WH) == 0.0
    moved = COCO.copy()
    moved[J["left_wrist"], 0] += 0.5 * SHOULDER_PX
    assert abs(agreement_distance(PRIMARY, moved[None], "upper", 0.5, SIZE_WH) - 0.5) < 1e-6
    assert agreement_distance(PRIMARY, moved[None], "lower", 0.5, SIZE_WH) == 0.0


def test_the_closest_person_is_compared_and_nobody_means_no_agreement() -> None:
    far = COCO.copy()
    far[:, 0] += 300
    near = COCO.copy()
    near[:, 1] += 0.1 * SHOULDER_PX
    assert abs(agreement_distance(PRIMARY, np.stack([far, near]), "dress", 0.5, SIZE_WH) - 0.1) < 1e-6
    assert agreement_distance(PRIMARY, np.zeros((0, 17, 3)), "upper", 0.5, SIZE_WH) == NO_AGREEMENT


def test_joints_unseen_by_either_or_outside_the_photo_do_not_count() -> None:
    other = COCO.copy()
    other[J["left_wrist"]] = (0, 0, 0.1)
    primary = PRIMARY.copy()
    primary[J["right_wrist"], 1] = SIZE_WH[1] + 40
    other[J["right_wrist"], 1] = SIZE_WH[1] - 400
    assert agreement_distance(primary, other[None], "upper", 0.5, SIZE_WH) == 0.0


def test_the_quality_stage_runs_the_second_model_once_per_batch(real_samples) -> None:
    second = FakePoseBackend(lambda image: person_result([]))
    stage = QualityStage(QualityConfig.model_validate({"pose": {"max_agreement_distance": 1.0}}), second)
    assert stage.resources.stateful
    stage.setup()
    samples = run_stage_batch(stage, pickle.loads(pickle.dumps(real_samples[:3])))
    assert second.loads == 1 and second.batch_sizes == [3]
    assert [s.stats["pose.agreement_distance"] for s in samples] == [NO_AGREEMENT] * 3
    assert {s.rejection.code for s in samples} == {"quality.pose_max_agreement_distance"}
