"""Real pose and segment stages agree: on every shared photo, the torso joints lie on the person.

Runs the pose stage (YOLO or MediaPipe) and the segment stage (MediaPipe,
both models) as a build does, and checks each photo is accepted and its
shoulders and hips fall inside the segmented person, undilated.
"""

from __future__ import annotations

import cv2
import pytest

from tests.fakes import sample_from_image
from tests.photos import real_photos
from vtondata.backends import build_pose_backend, build_segment_backend
from vtondata.config.pose import MediaPipePoseConfig, YoloPoseConfig
from vtondata.config.segment import MediaPipeSegmentConfig
from vtondata.geometry.keypoints import J
from vtondata.runners.base import run_stage_batch
from vtondata.stages.pose import PoseStage
from vtondata.stages.segment import SegmentStage

pytestmark = pytest.mark.slow
TORSO = ("left_shoulder", "right_shoulder", "left_hip", "right_hip")


@pytest.fixture(scope="module")
def images():
    photos = real_photos()
    assert len(photos) == 16
    return [(path.name, cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)) for path in photos]


@pytest.fixture(scope="module")
def segment_stages():
    stages = {}
    for model in ("pose", "selfie"):
        config = MediaPipeSegmentConfig(model=model)
        stages[model] = SegmentStage(config, build_segment_backend(config))
        stages[model].setup()
    return stages


@pytest.mark.parametrize(
    "pose_config", [YoloPoseConfig(weights_sha256=None), MediaPipePoseConfig()], ids=["yolo", "mediapipe"]
)
def test_torso_joints_lie_inside_the_person_on_every_photo(pose_config, images, segment_stages, weights_dir):
    pose_stage = PoseStage(pose_config, build_pose_backend(pose_config))
    pose_stage.setup()
    for model, segment_stage in segment_stages.items():
        samples = [sample_from_image(image, key=f"{i:06d}", index=i) for i, (_, image) in enumerate(images)]
        for start in range(0, len(samples), 4):
            batch = run_stage_batch(pose_stage, samples[start : start + 4])
            run_stage_batch(segment_stage, batch)
        for (name, _), sample in zip(images, samples, strict=True):
            assert sample.accepted, (model, name, sample.rejection)
            person = sample.layers["person"]
            for joint in TORSO:
                x, y, confidence = sample.keypoints_px[J[joint]]
                assert confidence > 0.3, (model, name, joint, confidence)
                assert person[round(float(y)), round(float(x))], (model, name, joint, float(x), float(y))
