"""VITON-HD and DressCode folder layouts: which files are inputs, where each person's annotations are.

The trees are built in ``tmp_path`` from the shared VITON-HD sample. The
DressCode tree reuses its photos, parse maps relabelled to the DressCode
table, and keypoints converted to COCO-18 rows at half resolution, as
DressCode ships them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vtondata.config.ingest import IngestConfig
from vtondata.geometry.keypoints import load_openpose_json, to_coco18
from vtondata.geometry.parsing import LABEL_SCHEMES, read_label_map
from vtondata.ingest.layouts import detect_layout, find_annotation
from vtondata.ingest.scan import scan_inputs

STEMS = ("00891_00", "03615_00", "07445_00", "07573_00", "08909_00", "10549_00")


def vitonhd_tree(vitonhd_dir: Path, root: Path) -> Path:
    """``root/test`` in the layout VITON-HD ships (``openpose_json``, ``image-parse-v3``), plus pairs."""
    split = root / "test"
    for source, target in (
        ("image", "image"),
        ("cloth", "cloth"),
        ("cloth-mask", "cloth-mask"),
        ("openpose-json", "openpose_json"),
        ("image-parse", "image-parse-v3"),
        ("openpose-img", "openpose_img"),
    ):
        shutil.copytree(vitonhd_dir / source, split / target)
    cloths = sorted(p.name for p in (vitonhd_dir / "cloth").iterdir())
    pairs = [f"{stem}.jpg {cloth}" for stem, cloth in zip(STEMS, cloths, strict=False)]
    (root / "test_pairs.txt").write_text("\n".join(pairs) + "\n")
    return split


def dresscode_keypoints(openpose_path: Path) -> dict:
    """DressCode ``<id>_2.json``: 18 COCO-18 rows ``x, y, score, id`` at half resolution."""
    coco18 = to_coco18(load_openpose_json(openpose_path))
    coco18[:, :2] /= 2
    return {"keypoints": [[float(x), float(y), float(c), float(i)] for i, (x, y, c) in enumerate(coco18)]}


def lip_to_dresscode(labels: np.ndarray) -> np.ndarray:
    """LIP ids -> DressCode ids by class name (face -> head); the LIP neck has no DressCode class: 0."""
    dresscode = {name: index for index, name in LABEL_SCHEMES["dresscode"].items()}
    dresscode["face"] = dresscode["head"]
    table = np.zeros(256, dtype=np.uint8)
    for index, name in LABEL_SCHEMES["lip"].items():
        table[index] = dresscode.get(name, 0)
    return table[labels]


def dresscode_tree(vitonhd_dir: Path, root: Path, half_resolution_maps: bool = False) -> Path:
    """``root/upper_body`` in the DressCode layout, ids ``000001``... for the six sample persons."""
    category = root / "upper_body"
    for folder in ("images", "keypoints", "label_maps", "skeletons"):
        (category / folder).mkdir(parents=True)
    cloths = sorted((vitonhd_dir / "cloth").iterdir())
    for number, stem in enumerate(STEMS, start=1):
        base = f"{number:06d}"
        shutil.copy(vitonhd_dir / "image" / f"{stem}.jpg", category / "images" / f"{base}_0.jpg")
        shutil.copy(cloths[number], category / "images" / f"{base}_1.jpg")
        shutil.copy(
            vitonhd_dir / "openpose-img" / f"{stem}_rendered.png", category / "skeletons" / f"{base}_5.jpg"
        )
        keypoints = dresscode_keypoints(vitonhd_dir / "openpose-json" / f"{stem}_keypoints.json")
        (category / "keypoints" / f"{base}_2.json").write_text(json.dumps(keypoints))
        labels = Image.fromarray(
            lip_to_dresscode(read_label_map(vitonhd_dir / "image-parse" / f"{stem}.png"))
        )
        if half_resolution_maps:
            labels = labels.resize((384, 512), Image.Resampling.NEAREST)
        labels.save(category / "label_maps" / f"{base}_4.png")
    (root / "train_pairs.txt").write_text("000001_0.jpg 000001_1.jpg\n")
    return category


def test_vitonhd_scan_takes_only_person_images_from_root_or_split(vitonhd_dir: Path, tmp_path: Path) -> None:
    split = vitonhd_tree(vitonhd_dir, tmp_path / "VITON-HD")
    expected = [f"image/{stem}.jpg" for stem in STEMS]
    assert [item.source_path for item in scan_inputs(split, IngestConfig())] == expected
    from_root = [item.source_path for item in scan_inputs(tmp_path, IngestConfig())]
    assert from_root == [f"VITON-HD/test/{path}" for path in expected]


def test_folders_outside_a_layout_are_scanned_whole(vitonhd_dir: Path, tmp_path: Path) -> None:
    split = vitonhd_tree(vitonhd_dir, tmp_path)
    assert len(scan_inputs(split / "cloth", IngestConfig())) == 12
    loose = tmp_path / "loose"
    shutil.copytree(vitonhd_dir / "cloth", loose / "garments")
    shutil.copytree(vitonhd_dir / "image", loose / "image")
    assert len(scan_inputs(loose, IngestConfig())) == 18


def test_dresscode_scan_takes_only_the_0_photos(vitonhd_dir: Path, tmp_path: Path) -> None:
    category = dresscode_tree(vitonhd_dir, tmp_path / "DressCode")
    expected = [f"upper_body/images/{n:06d}_0.jpg" for n in range(1, 7)]
    found = [item.source_path for item in scan_inputs(tmp_path / "DressCode", IngestConfig())]
    assert found == expected
    assert len(scan_inputs(category, IngestConfig())) == 6


def test_detect_layout(vitonhd_dir: Path, tmp_path: Path) -> None:
    split = vitonhd_tree(vitonhd_dir, tmp_path / "v")
    category = dresscode_tree(vitonhd_dir, tmp_path / "d")
    assert detect_layout(split) == "vitonhd"
    assert detect_layout(category) == "dresscode"
    assert detect_layout(split / "image") is None
    assert detect_layout(tmp_path) is None


def test_find_annotation_in_vitonhd(vitonhd_dir: Path, tmp_path: Path) -> None:
    split = vitonhd_tree(vitonhd_dir, tmp_path)
    person = str(split / "image" / "00891_00.jpg")
    assert find_annotation(person, "keypoints") == split / "openpose_json" / "00891_00_keypoints.json"
    assert find_annotation(person, "parse") == split / "image-parse-v3" / "00891_00.png"
    (split / "openpose_json" / "00891_00_keypoints.json").unlink()
    assert find_annotation(person, "keypoints") is None


def test_find_annotation_prefers_image_parse_v3_and_reads_the_shared_hyphen_names(vitonhd_dir: Path) -> None:
    person = str(vitonhd_dir / "image" / "07445_00.jpg")
    assert find_annotation(person, "keypoints") == vitonhd_dir / "openpose-json" / "07445_00_keypoints.json"
    assert find_annotation(person, "parse") == vitonhd_dir / "image-parse" / "07445_00.png"


def test_find_annotation_in_dresscode(vitonhd_dir: Path, tmp_path: Path) -> None:
    category = dresscode_tree(vitonhd_dir, tmp_path)
    person = str(category / "images" / "000003_0.jpg")
    assert find_annotation(person, "keypoints") == category / "keypoints" / "000003_2.json"
    assert find_annotation(person, "parse") == category / "label_maps" / "000003_4.png"
    assert find_annotation(str(category / "images" / "000003_1.jpg"), "parse") is None


@pytest.mark.parametrize("kind", ["keypoints", "parse"])
def test_photos_outside_both_layouts_have_no_annotation(tmp_path: Path, kind: str) -> None:
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "a.jpg").write_bytes(b"x")
    assert find_annotation(str(tmp_path / "photos" / "a.jpg"), kind) is None
