"""Re-processing existing datasets with the bundled reprocess-* recipes, measured on ground truth.

The VITON-HD sample is built from its own OpenPose files and parse maps (no
model), and each written ``agnostic_mask.png`` is measured against the same
parse maps: upper garment covered, arms covered, face and hair kept, hands
kept. Hands have no LIP label: a hand is the arm's pixels past the wrist
line, along elbow -> wrist.
"""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from pathlib import Path

import numpy as np
from PIL import Image

from tests.ingest.test_layouts import STEMS, dresscode_tree, vitonhd_tree
from vtondata import build, load_recipe
from vtondata.geometry.keypoints import J, load_openpose_json
from vtondata.geometry.parsing import parse_layers, read_label_map

MIN_GARMENT_COVERAGE = 0.995
MIN_ARM_COVERAGE = 0.97
MAX_FACE_INTRUSION = 0.01
MAX_HAIR_INTRUSION = 0.01
MIN_HANDS_KEPT = 0.90


def _members(shard: Path) -> dict[str, dict[str, bytes]]:
    """Tar members by sample key, then by extension."""
    samples: dict[str, dict[str, bytes]] = {}
    with tarfile.open(shard) as tar:
        for member in tar.getmembers():
            key, extension = member.name.split(".", 1)
            handle = tar.extractfile(member)
            assert handle is not None
            samples.setdefault(key, {})[extension] = handle.read()
    return samples


def _hands(labels: np.ndarray, keypoints: np.ndarray, min_confidence: float) -> np.ndarray:
    rows, cols = np.indices(labels.shape)
    hands = np.zeros(labels.shape, dtype=bool)
    for label, side in ((14, "left"), (15, "right")):
        wrist, elbow = keypoints[J[f"{side}_wrist"]], keypoints[J[f"{side}_elbow"]]
        if min(wrist[2], elbow[2]) <= min_confidence:
            continue
        along = (wrist[:2] - elbow[:2]) / np.linalg.norm(wrist[:2] - elbow[:2])
        hands |= (labels == label) & ((cols - wrist[0]) * along[0] + (rows - wrist[1]) * along[1] > 0)
    return hands


def _share(inside: np.ndarray, of: np.ndarray) -> float:
    return float(np.count_nonzero(inside & of)) / float(np.count_nonzero(of))


def test_vitonhd_sample_rebuilds_from_its_annotations_and_meets_the_ground_truth_targets(
    vitonhd_dir: Path, tmp_path: Path
) -> None:
    result = build(vitonhd_dir, tmp_path / "out", "upper", recipe="reprocess-vitonhd", runner="local")
    assert (result.inputs, result.accepted, result.rejected) == (6, 6, 0)
    [shard] = result.shards
    samples = _members(shard)
    assert sorted(key.split("_", 1)[1] for key in samples) == list(STEMS)
    min_confidence = load_recipe("reprocess-vitonhd").mask.min_keypoint_confidence
    arms_measured = 0
    for key, members in samples.items():
        stem = key.split("_", 1)[1]
        meta = json.loads(members["meta.json"])
        assert {meta["stages"][stage]["backend"] for stage in ("pose", "segment")} == {"annotations"}
        mask = np.array(Image.open(io.BytesIO(members["agnostic_mask.png"]))) > 0
        labels = read_label_map(vitonhd_dir / "image-parse" / f"{stem}.png")
        layers = parse_layers(labels, "lip")
        keypoints = load_openpose_json(vitonhd_dir / "openpose-json" / f"{stem}_keypoints.json")
        hands = _hands(labels, keypoints, min_confidence)
        arms = layers["arms"] & ~hands
        assert _share(mask, layers["garment_upper"]) >= MIN_GARMENT_COVERAGE, stem
        assert _share(mask, layers["face"]) <= MAX_FACE_INTRUSION, stem
        assert _share(mask, layers["hair"]) <= MAX_HAIR_INTRUSION, stem
        assert 1 - _share(mask, hands) >= MIN_HANDS_KEPT, stem
        if arms.any():
            arms_measured += 1
            assert _share(mask, arms) >= MIN_ARM_COVERAGE, stem
    assert arms_measured == 5


def test_persons_without_annotations_are_rejected_and_counted(vitonhd_dir: Path, tmp_path: Path) -> None:
    split = vitonhd_tree(vitonhd_dir, tmp_path / "raw")
    shutil.copy(split / "image" / "00891_00.jpg", split / "image" / "99999_00.jpg")
    Image.open(split / "image" / "03615_00.jpg").transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(
        split / "image" / "99998_00.jpg"
    )
    (split / "image-parse-v3" / "07445_00.png").unlink()
    result = build(split, tmp_path / "out", "upper", recipe="reprocess-vitonhd", runner="local")
    assert result.inputs == result.accepted + result.rejected == 8
    assert result.by_reason == {"ingest.duplicate": 1, "pose.no_annotation": 1, "segment.no_annotation": 1}


def test_dresscode_layout_rebuilds_with_its_recipe(vitonhd_dir: Path, tmp_path: Path) -> None:
    dresscode_tree(vitonhd_dir, tmp_path / "DressCode", half_resolution_maps=True)
    result = build(
        tmp_path / "DressCode", tmp_path / "out", "upper", recipe="reprocess-dresscode", runner="local"
    )
    assert (result.inputs, result.accepted, result.rejected) == (6, 6, 0)
    for key, members in _members(result.shards[0]).items():
        mask = np.array(Image.open(io.BytesIO(members["agnostic_mask.png"]))) > 0
        meta = json.loads(members["meta.json"])
        assert mask.shape == (1024, 768) and meta["stages"]["segment"]["backend"] == "annotations", key
