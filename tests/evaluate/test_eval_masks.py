"""``vtondata eval-masks`` end to end: mask folders, a vtondata output, masks without ground truth."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from tests.output.synthetic import write_dataset
from vtondata.cli import app
from vtondata.config.mask import MaskConfig
from vtondata.config.output import OutputConfig
from vtondata.evaluate.run import evaluate_masks
from vtondata.evaluate.sources import GroundTruthFolder
from vtondata.geometry.agnostic import agnostic_mask
from vtondata.sample import Category, Sample
from vtondata.stages.encode import EncodeStage

PARAMS = MaskConfig()


def _parse_evidence_masks(vitonhd_dir: Path) -> dict[str, np.ndarray]:
    """Upper masks drawn from each person's own parse layers (what reprocess-vitonhd does)."""
    folder = GroundTruthFolder(vitonhd_dir)
    masks = {}
    for path in sorted((vitonhd_dir / "image-parse").glob("*.png")):
        truth = folder.load(path.stem)
        layers = {name: truth.layers[name] for name in ("garment_upper", "face", "hair", "person")}
        size_wh = truth.label_map.shape[::-1]
        masks[path.stem] = agnostic_mask(
            size_wh, truth.keypoints_px, layers, "upper", PARAMS.upper, min_confidence=0.2
        )
    return masks


@pytest.fixture(scope="module")
def parse_masks(vitonhd_dir: Path) -> dict[str, np.ndarray]:
    return _parse_evidence_masks(vitonhd_dir)


def test_cli_scores_a_folder_of_vitonhd_named_masks(vitonhd_dir: Path, parse_masks, tmp_path: Path) -> None:
    for stem, mask in parse_masks.items():
        cv2.imwrite(str(tmp_path / f"{stem}_mask.png"), mask.astype(np.uint8) * 255)
    report_path = tmp_path / "report.json"
    result = CliRunner().invoke(
        app, ["eval-masks", str(vitonhd_dir), str(tmp_path), "--json", str(report_path)]
    )
    assert result.exit_code == 0, result.output
    assert "00891_00" in result.output and "form leakage" in result.output
    report = json.loads(report_path.read_text())
    assert report["category"] == "upper" and len(report["samples"]) == 6
    assert report["summary"]["garment_coverage"]["min"] >= 0.995
    assert report["summary"]["face_intrusion"]["max"] <= 0.01
    forms = sorted(sample["form"] for sample in report["samples"])
    assert forms == ["long_sleeve"] * 2 + ["short_sleeve"] * 4  # 03615 and 08909 wear long sleeves
    for leakage in report["leakage"]:  # 2 against 4: refused, never invented
        assert leakage["auc"] is None and "not enough samples" in leakage["refused"]


def test_masks_of_an_output_are_matched_by_source_path(
    vitonhd_dir: Path, parse_masks, tmp_path: Path
) -> None:
    samples = []
    for index, (stem, mask) in enumerate(parse_masks.items()):
        person = (vitonhd_dir / "image" / f"{stem}.jpg").read_bytes()
        keypoints = GroundTruthFolder(vitonhd_dir).load(stem).keypoints_px
        key, source = f"{index:07d}_{stem}", f"image/{stem}.jpg"
        sample = Sample(key=key, index=index, source_path=source, category=Category.UPPER, chunk=0)
        sample.source_sha256 = hashlib.sha256(person).hexdigest()
        sample.person_jpg, sample.image_size = person, mask.shape[::-1]
        sample.keypoints_px, sample.agnostic_mask = keypoints, mask
        samples.append(sample)
    out = tmp_path / "out"
    write_dataset(out, [EncodeStage(OutputConfig()).process_batch(samples)])
    report = evaluate_masks(vitonhd_dir, out)
    folder = evaluate_masks(vitonhd_dir, _write_folder(parse_masks, tmp_path / "masks"))
    assert [s.stem for s in report.samples] == sorted(parse_masks)
    assert report.summary == folder.summary


def test_masks_without_ground_truth_get_area_and_box_only(vitonhd_dir: Path, shared_dir: Path) -> None:
    """The catvton-flux reference masks are VITON-HD people not in the shared sample."""
    catvton = shared_dir / "data" / "persons-catvton-flux"
    report = evaluate_masks(vitonhd_dir, catvton)
    assert [s.stem for s in report.samples] == ["00008_00", "00057_00", "00064_00", "00067_00", "00069_00"]
    for sample in report.samples:
        assert sample.scores is None and sample.note == "no parse map or keypoints for this stem"
        assert 0.2 < sample.area_ratio < 0.5 and sample.bbox_xyxy_norm is not None
    assert set(report.summary) == {"area_ratio"}


def test_cli_maps_an_unusable_dataset_to_exit_code_3(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["eval-masks", str(tmp_path), str(tmp_path)])
    assert result.exit_code == 3 and "image-parse" in result.output


def _write_folder(masks: dict[str, np.ndarray], folder: Path) -> Path:
    folder.mkdir()
    for stem, mask in masks.items():
        cv2.imwrite(str(folder / f"{stem}.png"), mask.astype(np.uint8) * 255)
    return folder
