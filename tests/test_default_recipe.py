"""The default recipe (YOLO11n-pose + SAM2 + garment photos) end to end, with a random SAM2 checkpoint.

The SAM2 checkpoint is the release format with random weights, supplied
through ``VTONDATA_WEIGHTS`` beside the shared YOLO checkpoint: every stage
runs for real and the counts add up; the masks mean nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.random_checkpoints import SAM2_TINY, write_sam2_checkpoint
from vtondata.api import build, build_stages
from vtondata.config import load_recipe
from vtondata.errors import WeightsNotFound
from vtondata.output.format import MEMBER_SPECS

YOLO = "yolo11n-pose.pt"


@pytest.fixture(scope="module")
def weights_folder(tmp_path_factory, weights_dir) -> Path:
    folder = tmp_path_factory.mktemp("weights")
    (folder / YOLO).symlink_to(weights_dir / YOLO)
    write_sam2_checkpoint(folder)
    return folder


def _raw_with_garments(root: Path, vitonhd: Path, count: int) -> Path:
    pairs = [line.split() for line in (vitonhd.parent / "test_pairs.txt").read_text().splitlines()][:count]
    (root / "image").mkdir(parents=True)
    (root / "cloth").mkdir()
    for person, garment in pairs:
        (root / "image" / person).symlink_to(vitonhd / "image" / person)
        (root / "cloth" / person).symlink_to(vitonhd / "cloth" / garment)
    return root


def test_default_recipe_builds_with_random_sam2(tmp_path, vitonhd_dir, weights_folder, monkeypatch):
    monkeypatch.setenv("VTONDATA_WEIGHTS", str(weights_folder))
    raw = _raw_with_garments(tmp_path / "raw", vitonhd_dir, 2)
    result = build(raw, tmp_path / "out", "upper", "default", runner="local")
    assert result.inputs == 2 == result.accepted + result.rejected
    recipe = load_recipe("default")
    assert recipe.segment.backend == "sam2" and recipe.cloth.segmenter == "sam2"
    assert {"cloth.jpg", "cloth_mask.png"} <= set(MEMBER_SPECS)


def test_model_stages_ask_for_no_gpu_on_a_cpu_plan(weights_folder, monkeypatch):
    monkeypatch.setenv("VTONDATA_WEIGHTS", str(weights_folder))
    stages = {stage.name: stage for stage in build_stages(load_recipe("default", {"segment.device": "cpu"}))}
    for name in ("cloth", "pose", "segment"):
        assert stages[name].resources.stateful
    assert stages["segment"].resources.num_gpus == 0 and stages["segment"].resources.batch_size == 2
    gpu = build_stages(load_recipe("default", {"segment.device": "cuda:0"}))
    assert {stage.name: stage.resources.num_gpus for stage in gpu}["segment"] == 1


def test_a_second_instance_of_the_stages_shares_one_sam2_between_cloth_and_segment(
    weights_folder, monkeypatch
):
    from vtondata.runners.local import model_copies

    monkeypatch.setenv("VTONDATA_WEIGHTS", str(weights_folder))
    stages = build_stages(load_recipe("default", {"segment.device": "cpu"}))
    names = [stage.name for stage in stages]
    cloth, segment = names.index("cloth"), names.index("segment")
    assert stages[cloth].segmenter is stages[segment].backend  # the originals share one SAM2
    copies = model_copies(stages, 2)
    (cloth_copy,), (segment_copy,) = copies[cloth], copies[segment]
    assert cloth_copy.segmenter is segment_copy.backend is not stages[segment].backend


def test_truncated_checkpoint_stops_before_any_image(tmp_path, vitonhd_dir, weights_folder, monkeypatch):
    folder = tmp_path / "weights"
    folder.mkdir()
    (folder / YOLO).symlink_to(weights_folder / YOLO)
    data = (weights_folder / SAM2_TINY).read_bytes()
    (folder / SAM2_TINY).write_bytes(data[: len(data) // 3])
    monkeypatch.setenv("VTONDATA_WEIGHTS", str(folder))
    raw = _raw_with_garments(tmp_path / "raw", vitonhd_dir, 1)
    with pytest.raises(WeightsNotFound, match="corrupt or truncated"):
        build(raw, tmp_path / "out", "upper", "default", runner="local")
    assert not (tmp_path / "out" / "shards").exists()
