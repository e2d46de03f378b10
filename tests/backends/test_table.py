"""The backend table: lazy imports, weights checked at build time, clear errors."""

from __future__ import annotations

import pickle
import re
import subprocess
import sys

import pytest

from vtondata.backends import build_pose_backend, build_segment_backend, resolve_backend_weights
from vtondata.backends.base import PoseBackend, SegmentBackend, check_requires
from vtondata.config.pose import MediaPipePoseConfig, YoloPoseConfig
from vtondata.config.segment import MediaPipeSegmentConfig, Sam2SegmentConfig
from vtondata.errors import BackendUnavailable, WeightsNotFound

YOLO_SHA256 = "869e83fcdffdc7371fa4e34cd8e51c838cc729571d1635e5141e3075e9319dc0"


@pytest.fixture
def no_weights_anywhere(tmp_path, monkeypatch):
    monkeypatch.setenv("VTONDATA_WEIGHTS", str(tmp_path / "empty"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("YOLO_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)


def test_importing_the_package_and_the_table_loads_no_model_library():
    code = (
        "import sys, vtondata, vtondata.backends, vtondata.stages.pose, vtondata.stages.segment;"
        "print(sorted(m for m in ('ultralytics', 'mediapipe') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_yolo_weights_resolve_and_are_recorded(weights_dir, monkeypatch):
    monkeypatch.setenv("VTONDATA_WEIGHTS", str(weights_dir))
    config = YoloPoseConfig(weights_sha256=YOLO_SHA256)
    resolved = resolve_backend_weights(config)
    assert list(resolved) == ["weights"]
    assert resolved["weights"].path == (weights_dir / "yolo11n-pose.pt").resolve()
    backend = build_pose_backend(config)
    assert isinstance(backend, PoseBackend)
    assert (backend.name, backend.weights_sha256) == ("yolo", YOLO_SHA256)
    assert backend.version.startswith("8.")
    assert pickle.loads(pickle.dumps(backend)).weights_sha256 == YOLO_SHA256


def test_missing_yolo_weights_stop_the_build(no_weights_anywhere):
    with pytest.raises(WeightsNotFound, match=r"yolo11n-pose\.pt"):
        build_pose_backend(YoloPoseConfig())
    with pytest.raises(WeightsNotFound, match="--pipeline offline"):
        resolve_backend_weights(YoloPoseConfig())


def test_a_wrong_yolo_hash_stops_the_build(weights_dir, monkeypatch):
    monkeypatch.setenv("VTONDATA_WEIGHTS", str(weights_dir))
    with pytest.raises(WeightsNotFound, match=YOLO_SHA256):
        build_pose_backend(YoloPoseConfig(weights_sha256="a" * 64))


def test_mediapipe_models_come_from_the_wheel(no_weights_anywhere):
    pose = resolve_backend_weights(MediaPipePoseConfig())
    assert set(pose) == {"detector_model", "landmark_model"}
    assert pose["landmark_model"].path.name == "pose_landmark_full.tflite"
    selfie = resolve_backend_weights(MediaPipeSegmentConfig(model="selfie", model_selection=1))
    assert selfie["selfie_model"].path.name == "selfie_segmentation_landscape.tflite"
    backend = build_pose_backend(MediaPipePoseConfig())
    assert backend.weights_sha256 == pose["landmark_model"].sha256
    segmenter = build_segment_backend(MediaPipeSegmentConfig())
    assert isinstance(segmenter, SegmentBackend)
    assert segmenter.weights_sha256 == pose["landmark_model"].sha256  # model: pose is the default


def test_the_lite_pose_model_is_not_in_the_wheel_and_cannot_be_fetched_offline(no_weights_anywhere):
    with pytest.raises(WeightsNotFound, match=r"pose_landmark_lite\.tflite.*model_complexity 1"):
        resolve_backend_weights(MediaPipePoseConfig(model_complexity=0))


def test_sam2_without_its_checkpoint_says_what_to_use_instead(no_weights_anywhere):
    for call in (build_segment_backend, resolve_backend_weights):
        with pytest.raises(WeightsNotFound, match=r"(?s)sam2\.1_hiera_tiny\.pt.*--pipeline offline"):
            call(Sam2SegmentConfig())


def test_a_missing_package_gives_the_pip_line():
    with pytest.raises(BackendUnavailable, match=re.escape("pip install 'vtondata-no-such-package==1.0'")):
        check_requires("imaginary", ("vtondata-no-such-package==1.0", "numpy"))
