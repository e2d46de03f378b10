"""The annotations pose backend on the VITON-HD sample's OpenPose files and a DressCode-like tree."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.fakes import sample_from_image
from tests.ingest.test_layouts import STEMS, dresscode_tree
from vtondata.backends import build_pose_backend, resolve_backend_weights
from vtondata.backends.base import ImageSource, image_source
from vtondata.backends.pose_annotations import AnnotationPoseBackend
from vtondata.config.pose import AnnotationPoseConfig
from vtondata.geometry.keypoints import load_openpose_json
from vtondata.ingest.decode import Placement, place
from vtondata.stages.pose import PoseStage

IDENTITY = place((768, 1024), (768, 1024), "pad")
BLANK = np.zeros((1024, 768, 3), np.uint8)


def _coco17(path: Path) -> np.ndarray:
    """The file's joints as the backend should give them: COCO-17 rows, undetected rows all zero."""
    keypoints = load_openpose_json(path)[:17]
    keypoints[keypoints[:, 2] <= 0] = 0.0
    return keypoints


def test_table_builds_it_without_weights() -> None:
    config = AnnotationPoseConfig()
    assert isinstance(build_pose_backend(config), AnnotationPoseBackend)
    assert resolve_backend_weights(config) == {}


def test_vitonhd_openpose_files_give_one_person_in_original_pixels(vitonhd_dir: Path) -> None:
    backend = AnnotationPoseBackend(AnnotationPoseConfig())
    sources = [ImageSource(str(vitonhd_dir / "image" / f"{stem}.jpg"), IDENTITY) for stem in STEMS]
    results = backend.predict([BLANK] * len(STEMS), sources=sources)
    for stem, result in zip(STEMS, results, strict=True):
        expected = _coco17(vitonhd_dir / "openpose-json" / f"{stem}_keypoints.json")
        assert result.num_people == 1 and result.no_annotation is None
        np.testing.assert_allclose(result.keypoints_px[0], expected, atol=1e-3)
        confident = expected[expected[:, 2] > 0, :2]
        np.testing.assert_allclose(result.boxes_xyxy[0], [*confident.min(0), *confident.max(0)], atol=1e-3)
        assert result.scores.tolist() == [1.0]


def test_keypoints_follow_the_ingest_placement(vitonhd_dir: Path) -> None:
    """A letterboxed, half-size photo: stored = original * 0.5 + (100, 40)."""
    backend = AnnotationPoseBackend(AnnotationPoseConfig())
    placement = Placement(scale=0.5, resized_wh=(384, 512), offset_xy=(100, 40))
    [result] = backend.predict(
        [BLANK], sources=[ImageSource(str(vitonhd_dir / "image" / "03615_00.jpg"), placement)]
    )
    expected = _coco17(vitonhd_dir / "openpose-json" / "03615_00_keypoints.json")
    seen = expected[:, 2] > 0
    np.testing.assert_allclose(
        result.keypoints_px[0, seen, :2], expected[seen, :2] * 0.5 + [100, 40], atol=1e-3
    )
    assert not result.keypoints_px[0, ~seen].any()


def test_dresscode_half_resolution_keypoints_are_doubled(vitonhd_dir: Path, tmp_path: Path) -> None:
    category = dresscode_tree(vitonhd_dir, tmp_path)
    backend = AnnotationPoseBackend(AnnotationPoseConfig(format="dresscode"))
    sources = [ImageSource(str(category / "images" / f"{n:06d}_0.jpg"), IDENTITY) for n in range(1, 7)]
    results = backend.predict([BLANK] * 6, sources=sources)
    for stem, result in zip(STEMS, results, strict=True):
        expected = _coco17(vitonhd_dir / "openpose-json" / f"{stem}_keypoints.json")
        np.testing.assert_allclose(result.keypoints_px[0], expected, atol=1e-3)


def test_every_openpose_person_is_a_detection_and_low_confidence_is_dropped(tmp_path: Path) -> None:
    split = tmp_path / "test"
    (split / "image").mkdir(parents=True)
    (split / "openpose_json").mkdir()
    person = [0.0] * 75
    person[5 * 3 : 5 * 3 + 3] = [100.0, 200.0, 0.9]  # left shoulder, BODY_25 row 5
    person[2 * 3 : 2 * 3 + 3] = [300.0, 210.0, 0.1]  # right shoulder, BODY_25 row 2
    other = [0.0] * 75
    other[5 * 3 : 5 * 3 + 3] = [600.0, 100.0, 0.8]
    document = {"people": [{"pose_keypoints_2d": person}, {"pose_keypoints_2d": other}]}
    (split / "openpose_json" / "a_keypoints.json").write_text(json.dumps(document))
    backend = AnnotationPoseBackend(AnnotationPoseConfig(min_confidence=0.2))
    [result] = backend.predict([BLANK], sources=[ImageSource(str(split / "image" / "a.jpg"), IDENTITY)])
    assert result.num_people == 2
    assert result.keypoints_px[0, 5].tolist() == pytest.approx([100.0, 200.0, 0.9])
    assert not result.keypoints_px[0, 6].any()
    assert result.boxes_xyxy.tolist() == [[100.0, 200.0, 100.0, 200.0], [600.0, 100.0, 600.0, 100.0]]


def test_missing_file_is_a_no_annotation_result_and_the_stage_rejects(tmp_path: Path) -> None:
    backend = AnnotationPoseBackend(AnnotationPoseConfig())
    path = str(tmp_path / "test" / "image" / "missing.jpg")
    [result] = backend.predict([BLANK], sources=[ImageSource(path, IDENTITY)])
    assert result.num_people == 0 and result.no_annotation is not None
    assert "no keypoint file for" in result.no_annotation and "openpose_json" in result.no_annotation

    sample = sample_from_image(BLANK)
    sample.source_abs = path
    sample.meta["ingest"] = {"orig_size_wh": [768, 1024], "fit": "pad"}
    PoseStage(AnnotationPoseConfig(), backend).process_batch([sample])
    assert sample.rejection is not None and sample.rejection.code == "pose.no_annotation"


def test_sources_must_match_images() -> None:
    backend = AnnotationPoseBackend(AnnotationPoseConfig())
    with pytest.raises(ValueError, match="1 images but 0 sources"):
        backend.predict([BLANK])


def test_image_source_rebuilds_the_ingest_placement_with_exif_quarter_turns() -> None:
    """A 1000x750 file with EXIF orientation 6 is upright 750x1000, so it fills 768x1024 exactly."""
    meta = {"orig_size_wh": [1000, 750], "exif_orientation": 6, "exif_transposed": True, "fit": "pad"}
    source = image_source("/x.jpg", meta, (768, 1024))
    assert source.placement == place((750, 1000), (768, 1024), "pad")
    assert source.placement.offset_xy == (0, 0)
    assert image_source("/x.jpg", None, (768, 1024)).placement is None
