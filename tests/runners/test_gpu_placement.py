"""One device policy: decided where a backend is built, turned into Ray GPU requests per model stage.

The placement arithmetic is checked without Ray; then the real YOLO, SAM2 and
OpenPose backends are built for ``cuda:0`` (nothing is loaded, so no GPU is
needed) and their stages go through a real local Ray cluster that declares one
fake GPU: every model actor must be granted a share of it, and the others none.
"""

from __future__ import annotations

import pytest

from tests.random_checkpoints import write_openpose_checkpoint, write_sam2_checkpoint
from vtondata.backends import build_pose_backend, build_segment_backend
from vtondata.backends.device import decide_device
from vtondata.config.ingest import IngestConfig
from vtondata.config.pose import OpenposePoseConfig, YoloPoseConfig
from vtondata.config.segment import Sam2SegmentConfig
from vtondata.errors import RecipeError
from vtondata.ingest.chunks import Chunk
from vtondata.ingest.scan import InputItem
from vtondata.runners.placement import place_stages
from vtondata.sample import Category, Sample
from vtondata.stages.base import Resources, Stage
from vtondata.stages.ingest import IngestStage
from vtondata.stages.pose import PoseStage
from vtondata.stages.segment import SegmentStage

GPU_MODEL = Resources(num_cpus=1, num_gpus=1, batch_size=4, stateful=True)
CPU_MODEL = Resources(num_cpus=1, num_gpus=0, batch_size=4, stateful=True)
TASK = Resources(num_cpus=1, batch_size=8, stateful=False)


@pytest.mark.parametrize(("setting", "device"), [("cpu", "cpu"), ("cuda", "cuda:0"), ("cuda:1", "cuda:1")])
def test_explicit_device_settings(setting, device):
    assert decide_device(setting) == device


def test_auto_follows_what_torch_sees_here():
    import torch

    assert decide_device("auto") == ("cuda:0" if torch.cuda.is_available() else "cpu")


@pytest.mark.parametrize("setting", ["gpu", "cuda:x", "CUDA", "mps", ""])
def test_unknown_device_is_a_recipe_error(setting):
    with pytest.raises(RecipeError, match="device must be"):
        decide_device(setting)


def test_model_stages_sharing_one_gpu_get_equal_fractions():
    placements = place_stages([TASK, GPU_MODEL, GPU_MODEL, TASK, GPU_MODEL], cpus=16, gpus=1, workers=None)
    assert [p.actors for p in placements] == [0, 1, 1, 0, 1]
    assert [p.num_gpus for p in placements] == [0.0, 0.3333, 0.3333, 0.0, 0.3333]
    assert sum(p.num_gpus for p in placements) <= 1


def test_one_actor_per_gpu_and_stage_by_default():
    placements = place_stages([GPU_MODEL, GPU_MODEL], cpus=32, gpus=8, workers=None)
    assert [(p.actors, p.num_gpus) for p in placements] == [(8, 0.5), (8, 0.5)]


def test_whole_gpus_when_there_are_enough_for_every_actor():
    placements = place_stages([GPU_MODEL, GPU_MODEL], cpus=32, gpus=4, workers=2)
    assert [(p.actors, p.num_gpus) for p in placements] == [(2, 1.0), (2, 1.0)]


def test_workers_setting_splits_the_gpus_among_all_actors():
    placements = place_stages([GPU_MODEL, GPU_MODEL], cpus=8, gpus=2, workers=3)
    assert [(p.actors, p.num_gpus) for p in placements] == [(3, 0.3333), (3, 0.3333)]


def test_cpu_model_stages_get_one_actor_per_cpu_and_cpu_shares_that_fit():
    placements = place_stages([TASK, CPU_MODEL, CPU_MODEL, TASK], cpus=2, gpus=0, workers=None)
    assert [p.actors for p in placements] == [0, 2, 2, 0]
    assert all(p.num_gpus == 0 for p in placements)
    # Four actors plus one task slot share two CPUs.
    assert all(p.num_cpus == pytest.approx(2 / 5) for p in placements)
    assert all(p.threads == 1 for p in placements)


def test_gpu_stage_without_a_cluster_gpu_is_a_clear_error():
    with pytest.raises(RecipeError, match="declares no GPU"):
        place_stages([GPU_MODEL], cpus=4, gpus=0, workers=None)


@pytest.fixture(scope="module")
def gpu_stages(tmp_path_factory, weights_dir) -> list[Stage]:
    """Real YOLO, SAM2 and OpenPose stages whose backends were built for ``cuda:0`` (not loaded)."""
    folder = tmp_path_factory.mktemp("weights")
    sam2 = write_sam2_checkpoint(folder)
    openpose = write_openpose_checkpoint(folder)
    yolo = YoloPoseConfig(weights=str(weights_dir / "yolo11n-pose.pt"), weights_sha256=None, device="cuda")
    openpose_config = OpenposePoseConfig(weights=str(openpose), device="cuda:0")
    sam2_config = Sam2SegmentConfig(checkpoint=str(sam2), device="cuda:0")
    return [
        PoseStage(yolo, build_pose_backend(yolo)),
        SegmentStage(sam2_config, build_segment_backend(sam2_config)),
        PoseStage(openpose_config, build_pose_backend(openpose_config)),
    ]


def test_backends_built_for_cuda_carry_the_device_into_stage_resources(gpu_stages):
    assert [stage.backend.device for stage in gpu_stages] == ["cuda:0"] * 3  # type: ignore[attr-defined]
    assert [stage.backend.name for stage in gpu_stages] == ["yolo", "sam2", "openpose"]  # type: ignore[attr-defined]
    assert all(stage.resources.num_gpus == 1 and stage.resources.stateful for stage in gpu_stages)


def test_cpu_setting_asks_for_no_gpu(weights_dir):
    config = YoloPoseConfig(weights=str(weights_dir / "yolo11n-pose.pt"), weights_sha256=None, device="cpu")
    stage = PoseStage(config, build_pose_backend(config))
    assert stage.backend.device == "cpu"
    assert stage.resources.num_gpus == 0


class _GrantProbe(Stage):
    """Stands in for a model stage in a Ray worker: same name and resources, records the GPU Ray granted.

    The real stage would load its model onto ``cuda:0`` in ``setup``, which this
    machine may not have; what is under test is what the runner asks Ray for.
    """

    def __init__(self, stage: Stage, label: str) -> None:
        self.name = stage.name
        self.resources = stage.resources
        self.label = label

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        import ray

        granted = ray.get_runtime_context().get_assigned_resources().get("GPU", 0.0)
        for sample in samples:
            sample.meta[self.label] = granted
        return samples


@pytest.mark.slow
def test_ray_actors_of_yolo_sam2_and_openpose_request_the_fake_gpu(gpu_stages):
    import ray

    from vtondata.runners.ray import RayRunner

    ray.init(num_cpus=2, num_gpus=1, include_dashboard=False, object_store_memory=100 * 1024 * 1024)
    try:
        labels = ["yolo", "sam2", "openpose"]
        probes: list[Stage] = [IngestStage(IngestConfig())]
        probes += [_GrantProbe(stage, label) for stage, label in zip(gpu_stages, labels, strict=True)]
        probes.append(_GrantProbe(IngestStage(IngestConfig()), "task"))
        items = tuple(
            InputItem(i, f"k{i}", f"missing{i}.jpg", f"/nonexistent/{i}.jpg", None, 0, None) for i in range(4)
        )

        def write_chunk(chunk: int, samples: list[Sample]):
            # Runs in the worker that built the chunk; what it returns is all that reaches the driver.
            return [dict(sample.meta) for sample in samples]

        (metas,) = RayRunner()._stream(probes, [Chunk(0, items, Category.UPPER)], write_chunk, None)
    finally:
        ray.shutdown()
    assert len(metas) == 4
    for meta in metas:
        assert meta["yolo"] == pytest.approx(1 / 3, abs=1e-3)
        assert meta["sam2"] == pytest.approx(1 / 3, abs=1e-3)
        assert meta["openpose"] == pytest.approx(1 / 3, abs=1e-3)
        assert meta["task"] == 0.0
