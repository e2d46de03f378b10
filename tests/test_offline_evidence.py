"""The offline recipe's evidence on real photos with ground truth: masks that keep hair, face and hands.

These are regression bars on the VITON-HD sample, measured with the same
definitions ``vtondata eval-masks`` prints (docs/evaluation.md records the
figures and the held-out targets); the method was not tuned to these six
photos, which the bars leave room around.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.photos import framed_3_4, link_photos, real_photos
from vtondata import api
from vtondata.api import build_stages
from vtondata.backends.base import photo_box
from vtondata.config import load_recipe
from vtondata.errors import RecipeError
from vtondata.evaluate.run import evaluate_masks
from vtondata.geometry.keypoints import J, load_openpose_json
from vtondata.geometry.parse_map import LABEL_ID
from vtondata.geometry.parsing import parse_layers, read_label_map
from vtondata.runners.base import run_stages
from vtondata.sample import Category, Sample

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def vitonhd_report(tmp_path_factory: pytest.TempPathFactory, vitonhd_dir: Path):
    root = tmp_path_factory.mktemp("offline-evidence")
    result = api.build(vitonhd_dir / "image", root / "out", "upper", "offline", runner="local")
    assert result.accepted == 6, result.by_reason
    return evaluate_masks(vitonhd_dir, root / "out")


def test_masks_keep_hair_face_and_hands_and_cover_the_garment(vitonhd_report) -> None:
    summary = vitonhd_report.summary
    assert summary["hair_intrusion"]["mean"] <= 0.10  # 0.196 with the pose-only offline recipe of 0.1
    assert summary["face_intrusion"]["max"] <= 0.01
    # 0.890 in 0.1. The hands end at the wrist crease, with no band of forearm skin or cuff kept
    # above them (it told sleeves apart), so the judge's hand zone, which starts at OpenPose's
    # wrist, loses a little: min 0.957 with that band, 0.897 without. The arms gain more.
    assert summary["hands_kept"]["min"] >= 0.88
    assert summary["garment_coverage"]["min"] >= 0.96
    assert summary["limb_coverage"]["mean"] >= 0.98  # 0.850 with the band above the hands


def test_parse_maps_agree_with_the_ground_truth(vitonhd_report) -> None:
    iou = vitonhd_report.parse_iou
    assert {"hair", "face", "skin", "upper_garment", "hands"} <= set(iou)
    assert iou["face"]["mean"] >= 0.7 and iou["hair"]["mean"] >= 0.5 and iou["hands"]["mean"] >= 0.6
    # Cut at the hip line instead of where the colours change: upper 0.709 (min 0.519), lower 0.673;
    # skin from the face's colour model alone: 0.572.
    assert iou["upper_garment"]["mean"] >= 0.80 and iou["lower_garment"]["mean"] >= 0.84
    assert iou["skin"]["mean"] >= 0.62
    assert all(values["n"] == 6 for values in iou.values() if values["n"])


def test_half_body_photos_cut_above_the_hips_get_a_mask(tmp_path: Path, vitonhd_dir: Path) -> None:
    """VITON-HD photos cut just above the hip line: the hips are placed, not demanded."""
    raw = tmp_path / "raw"
    raw.mkdir()
    for photo in sorted((vitonhd_dir / "image").glob("*.jpg")):
        truth = load_openpose_json(vitonhd_dir / "openpose-json" / f"{photo.stem}_keypoints.json")
        shoulders = truth[[J["left_shoulder"], J["right_shoulder"]], :2]
        s = float(np.linalg.norm(shoulders[0] - shoulders[1]))
        hip_y = float(truth[[J["left_hip"], J["right_hip"]], 1].min())
        image = cv2.imread(str(photo))
        cv2.imwrite(str(raw / f"{photo.stem}.png"), image[: int(hip_y - 0.1 * s)])
    for sample in _through_the_mask_stage(raw):
        assert sample.rejection is None, (sample.source_path, sample.rejection)
        # MediaPipe often still reports an off-frame hip with some confidence: then it is used as is.
        width, height = sample.image_size
        kp = sample.keypoints_px
        for hip in ("left_hip", "right_hip"):
            seen_below = kp[J[hip], 2] > 0.2 and kp[J[hip], 1] >= 0.8 * height
            assert hip in sample.meta["mask"]["placed_out_of_frame"] or seen_below, (sample.source_path, hip)
        assert sample.agnostic_mask is not None and sample.agnostic_mask.any()
        assert sample.parse_map is not None and sample.parse_map.shape == (height, width)


def test_faces_cut_at_the_eyes_keep_their_hair_and_no_layer_reaches_the_bars(
    tmp_path: Path, vitonhd_dir: Path
) -> None:
    """VITON-HD photos cut at the eyes' line, so ingest adds letterbox bars above and below.

    The face mesh and the silhouette run on past the cut into the bar; the
    layers must stop at the photo, and the hair beside the face must still be
    found with nothing above the face to seed it (mean hair IoU 0.03 before
    both were handled, 0.27 after).
    """
    raw = tmp_path / "raw"
    raw.mkdir()
    tops = {}
    for photo in sorted((vitonhd_dir / "image").glob("*.jpg")):
        truth = load_openpose_json(vitonhd_dir / "openpose-json" / f"{photo.stem}_keypoints.json")
        tops[photo.stem] = round(float(truth[[J["left_eye"], J["right_eye"]], 1].mean()))
        cv2.imwrite(str(raw / f"{photo.stem}.png"), cv2.imread(str(photo))[tops[photo.stem] :])
    ious = []
    for sample in _through_the_mask_stage(raw):
        assert sample.rejection is None, (sample.source_path, sample.rejection)
        x0, y0, x1, y1 = photo_box(sample)
        assert y0 > 0  # letterboxed
        for name, layer in sample.layers.items():
            outside = layer.copy()
            outside[y0:y1, x0:x1] = False
            assert not outside.any(), (sample.source_path, name)
        stem = Path(sample.source_path).stem
        truth_hair = parse_layers(read_label_map(vitonhd_dir / "image-parse" / f"{stem}.png"), "lip")["hair"]
        placed = np.zeros_like(sample.layers["person"])
        placed[y0:y1, x0:x1] = truth_hair[tops[stem] :][: y1 - y0, : x1 - x0]
        ours = sample.parse_map == LABEL_ID["hair"]
        ious.append(np.count_nonzero(ours & placed) / max(np.count_nonzero(ours | placed), 1))
    assert np.mean(ious) >= 0.2, ious


def test_hair_beside_a_face_framed_at_the_mouth_is_kept(tmp_path: Path, vitonhd_dir: Path) -> None:
    """VITON-HD photos framed at the mouth as catalogues frame them: the top edge 0.4 of the way from
    the nose to the neck, the sides cut to 3:4 about the shoulders, so no letterbox bar gives the
    models head room. No face mesh is found; the hair falling beside the chin and the neck must
    still be found and kept out of the mask, and the garment stay in it (before the chin's and
    neck's skin anchored the hair: no hair layer, hair intrusion 1.000 on every photo)."""
    intrusions, ious, garment_taken, _ = _hair_when_framed(tmp_path, vitonhd_dir, 0.4)
    assert len(ious) >= 3, ious
    assert np.mean(ious) >= 0.1 and np.mean(intrusions) <= 0.85, (ious, intrusions)
    assert max(garment_taken) < 0.01, garment_taken


def test_hair_beside_a_face_framed_at_the_lips_is_kept(tmp_path: Path, vitonhd_dir: Path) -> None:
    """Framed at the lips (the top edge 0.2 of the way from the nose to the neck; the chin lies at
    0.40-0.47), the lips at the edge place the chin line, the silhouette above it holds the chin's
    skin, the lips and hair only, and the hair beside the lips' column seeds the hair model. Hair
    intrusion mean 0.279, IoU 0.377 and face intrusion 0.161 with the seeds beside the chin's and
    neck's skin alone and the line 0.35 s above the shoulders; 0.140, 0.483 and 0.061 now."""
    intrusions, ious, garment_taken, face_intrusions = _hair_when_framed(tmp_path, vitonhd_dir, 0.2)
    assert len(ious) >= 3, ious
    assert np.mean(intrusions) <= 0.2 and np.mean(ious) >= 0.43, (intrusions, ious)
    assert np.mean(face_intrusions) <= 0.1, face_intrusions
    assert max(garment_taken) < 0.01, garment_taken


def test_the_chin_of_a_face_framed_at_the_mouth_is_kept(tmp_path: Path, vitonhd_dir: Path) -> None:
    """Framed at the mouth, the chin's sliver at the top edge is the face layer where it lies above
    the chin line the shoulders give (before: no face layer, the whole chin repainted on every
    photo, face intrusion 1.000)."""
    *_, face_intrusions = _hair_when_framed(tmp_path, vitonhd_dir, 0.4)
    assert len(face_intrusions) >= 4, face_intrusions
    assert np.mean(face_intrusions) <= 0.6 and sum(f < 0.1 for f in face_intrusions) >= 2, face_intrusions


def test_hair_beside_a_face_framed_at_the_nose_is_kept(tmp_path: Path, vitonhd_dir: Path) -> None:
    """The same photos framed at the nose: the face mesh is found, cut by the top edge, and the hair
    seeds beside it run down to the chin (beside its top 0.6 only, as for a whole face: hair
    intrusion mean 0.205, IoU 0.448; down to the chin: 0.118 and 0.529)."""
    intrusions, ious, garment_taken, _ = _hair_when_framed(tmp_path, vitonhd_dir, 0.0)
    assert len(ious) >= 3, ious
    assert np.mean(intrusions) <= 0.16 and np.mean(ious) >= 0.5, (intrusions, ious)
    assert max(garment_taken) < 0.01, garment_taken


def _hair_when_framed(
    tmp_path: Path, vitonhd_dir: Path, share_nose_to_neck: float
) -> tuple[list[float], list[float], list[float], list[float]]:
    """Each sample photo framed at 3:4 with its top edge ``share_nose_to_neck`` of the way from the
    nose to the neck, built: per photo with hair in the frame, the share of the hair in the mask,
    the hair's parse IoU and the share of the upper garment the parse map calls hair; and per photo
    with face in the frame, the share of the face in the mask."""
    raw = tmp_path / "raw"
    raw.mkdir()
    truths = {}
    for photo in sorted((vitonhd_dir / "image").glob("*.jpg")):
        truth = load_openpose_json(vitonhd_dir / "openpose-json" / f"{photo.stem}_keypoints.json")
        nose, neck = float(truth[J["nose"], 1]), float(truth[J["neck"], 1])
        labels = read_label_map(vitonhd_dir / "image-parse" / f"{photo.stem}.png")
        framed, truths[photo.stem] = framed_3_4(
            cv2.imread(str(photo)), labels, truth, round(nose + share_nose_to_neck * (neck - nose))
        )
        cv2.imwrite(str(raw / f"{photo.stem}.png"), framed)
    intrusions, ious, garment_taken, face_intrusions = [], [], [], []
    for sample in _through_the_mask_stage(raw):
        if sample.rejection is not None:  # an arm the pose model misses; not this test's concern
            continue
        width, height = sample.image_size
        labels = cv2.resize(
            truths[Path(sample.source_path).stem], (width, height), interpolation=cv2.INTER_NEAREST
        )
        truth = parse_layers(labels, "lip")
        if truth["face"].any():
            face_intrusions.append(
                np.count_nonzero(sample.agnostic_mask & truth["face"]) / np.count_nonzero(truth["face"])
            )
        if not truth["hair"].any():  # hair tied back, none beside the face
            continue
        ours = sample.parse_map == LABEL_ID["hair"]
        intrusions.append(
            np.count_nonzero(sample.agnostic_mask & truth["hair"]) / np.count_nonzero(truth["hair"])
        )
        ious.append(np.count_nonzero(ours & truth["hair"]) / max(np.count_nonzero(ours | truth["hair"]), 1))
        garment = truth["garment_upper"]
        garment_taken.append(np.count_nonzero(ours & garment) / np.count_nonzero(garment))
    return intrusions, ious, garment_taken, face_intrusions


def test_every_shared_photo_gets_face_hands_and_parse_layers(tmp_path: Path) -> None:
    done = _through_the_mask_stage(link_photos(tmp_path / "raw", real_photos()))
    assert all(sample.rejection is None for sample in done), [s.rejection for s in done if s.rejection]
    assert sum("hair" in s.layers for s in done) >= 14
    assert all({"person", "face", "hands", "skin"} <= set(s.layers) for s in done)
    assert sum("above_waist" in s.layers for s in done) >= 12  # not where the photo ends at the hips
    assert all(s.stats["segment.hands_found"] >= 1 for s in done)


def _through_the_mask_stage(raw: Path) -> list[Sample]:
    """Every photo of ``raw`` through the offline recipe's ingest, cloth, pose, segment and mask stages."""
    stages = build_stages(load_recipe("offline"))[:5]
    for stage in stages:
        stage.setup()
    samples = [
        Sample(
            key=f"{i:06d}", index=i, source_path=p.name, category=Category.UPPER, chunk=0, source_abs=str(p)
        )
        for i, p in enumerate(sorted(raw.iterdir()))
    ]
    return run_stages(stages, samples)


def test_landmarks_evidence_needs_the_holistic_pose_backend() -> None:
    with pytest.raises(RecipeError, match="holistic"):
        load_recipe("offline", {"pose": {"backend": "mediapipe"}})
