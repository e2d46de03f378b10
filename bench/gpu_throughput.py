"""Photos per second of the default recipe (YOLO11n-pose + SAM2.1) on a GPU, end to end and per stage.

usage: python -m bench.gpu_throughput [--images 256] [--sam2 t|s|b+|l] [--batch 16] [--pose-batch 32]
                                      [--batch-threads N] [--device auto|cpu|cuda:N] [--yolo-weights PATH]

No checkpoint can be downloaded where this runs, and speed does not depend on
the weights' values, so both models are built from their packaged configs with
random weights and saved in their release formats to a temporary folder, which
the weights resolver then reads as it would the real files: SAM2.1 from
``configs/sam2.1/sam2.1_hiera_<size>.yaml``, YOLO11n-pose from Ultralytics'
``yolo11n-pose.yaml``. A random YOLO finds no person that the pose stage
accepts, so no photo would reach SAM2 in the build; the real YOLO checkpoint
(``--yolo-weights``, by default ``VTONDATA_WEIGHTS/yolo11n-pose.pt`` when it
exists; 6 MB) is therefore used when present, so that poses, hence SAM2's
prompts, are those of real people. ``--random-yolo`` forces random weights.

Prints, each after a warm-up batch and with the device synchronised:
1. model floors on pre-decoded 768x1024 photos: YOLO alone, the SAM2 image
   embedding alone, and the SAM2 segment backend (embedding, every layer's
   prompts decoded with three candidates each, candidates chosen against the
   pose prior, chosen layers copied back), the latter prompted from synthetic
   people's poses so that the prompt count per photo is that of real photos;
2. ``vtondata build`` with the default recipe on the local runner: photos per
   second over the whole build (scan to manifest), per-stage milliseconds per
   photo from the index, how many photos reached SAM2 and the ratio to the
   SAM2 floor.

The count of photos whose SAM2 layers were scored and the rejections are
printed, so a build in which few photos reached SAM2 is seen for what it is.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

SAM2_CONFIGS = {
    "t": ("configs/sam2.1/sam2.1_hiera_t.yaml", "sam2.1_hiera_tiny.pt"),
    "s": ("configs/sam2.1/sam2.1_hiera_s.yaml", "sam2.1_hiera_small.pt"),
    "b+": ("configs/sam2.1/sam2.1_hiera_b+.yaml", "sam2.1_hiera_base_plus.pt"),
    "l": ("configs/sam2.1/sam2.1_hiera_l.yaml", "sam2.1_hiera_large.pt"),
}
SAM2_FLOOR = "SAM2 embedding + decode + choice + chosen layers to host"
NO_NEAR_DUPLICATES = {"quality.duplicates.min_hash_distance": "null"}


def write_random_sam2(folder: Path, size: str) -> Path:
    import torch
    from sam2.build_sam import build_sam2

    config, name = SAM2_CONFIGS[size]
    torch.manual_seed(0)
    model = build_sam2(config, ckpt_path=None, device="cpu")
    path = folder / name
    torch.save({"model": model.state_dict()}, path)
    return path


def write_random_yolo(folder: Path) -> Path:
    import torch
    from ultralytics import YOLO

    torch.manual_seed(0)
    path = folder / "yolo11n-pose.pt"
    YOLO("yolo11n-pose.yaml", task="pose", verbose=False).save(str(path))
    return path


def _shared_yolo() -> Path | None:
    folder = os.environ.get("VTONDATA_WEIGHTS")
    path = Path(folder) / "yolo11n-pose.pt" if folder else None
    return path if path is not None and path.is_file() else None


def synthetic_people(count: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """768x1024 RGB synthetic people and their canonical keypoints (tests/synthetic.py)."""
    from tests.synthetic import GARMENTS, POSES, dress_body, make_body

    garments = GARMENTS["upper"]
    images, keypoints = [], []
    for index in range(count):
        body = make_body(POSES[index % len(POSES)])
        images.append(dress_body(body, garments[index % len(garments)]).image_rgb)
        keypoints.append(body.keypoints_px)
    return images, keypoints


def write_inputs(folder: Path, count: int) -> Path:
    """The shared photos' variants (bench/photos.py) when found, else synthetic people."""
    from bench.photos import make_inputs

    try:
        return make_inputs(folder, count)
    except (SystemExit, FileNotFoundError):
        folder.mkdir(parents=True, exist_ok=True)
        images, _ = synthetic_people(count)
        for index, image in enumerate(images):
            cv2.imwrite(str(folder / f"{index:05d}.jpg"), image[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 95])
        return folder


def _synchronize(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize()


def photos_per_second(
    run: Callable[[list[np.ndarray]], object], images: list[np.ndarray], batch: int, device: str
) -> float:
    """Photos per second of ``run`` over ``images`` in batches, after one warm-up batch."""
    run(images[:batch])
    _synchronize(device)
    started = time.perf_counter()
    for start in range(0, len(images), batch):
        run(images[start : start + batch])
    _synchronize(device)
    return len(images) / (time.perf_counter() - started)


def model_floors(args: argparse.Namespace, weights: dict[str, Path], device: str) -> dict[str, float]:
    import torch

    from vtondata.backends import build_pose_backend, build_segment_backend
    from vtondata.config.pose import YoloPoseConfig
    from vtondata.config.segment import Sam2SegmentConfig

    images, keypoints = synthetic_people(args.images)
    by_id = {id(image): kp for image, kp in zip(images, keypoints, strict=True)}
    yolo = build_pose_backend(
        YoloPoseConfig(weights=str(weights["yolo"]), weights_sha256=None, device=device, min_person_score=0.0)
    )
    sam2: Any = build_segment_backend(
        Sam2SegmentConfig(
            checkpoint=str(weights["sam2"]),
            checkpoint_sha256=None,
            model_config_name=SAM2_CONFIGS[args.sam2][0],
            device=device,
        )
    )
    sam2.load()

    def embed(batch: list[np.ndarray]) -> None:
        with torch.inference_mode(), sam2._inference():
            sam2._predictor.set_image_batch(batch)

    return {
        "YOLO11n-pose": photos_per_second(yolo.predict, images, args.pose_batch, device),
        "SAM2 embedding": photos_per_second(embed, images, args.batch, device),
        SAM2_FLOOR: photos_per_second(
            lambda batch: sam2.predict(batch, [by_id[id(image)] for image in batch]),
            images,
            args.batch,
            device,
        ),
    }


def end_to_end(
    args: argparse.Namespace, weights: dict[str, Path], device: str, tmp: Path
) -> dict[str, object]:
    import vtondata
    from vtondata.output.index import read_index

    raw = write_inputs(tmp / "raw", args.images)
    overrides = {
        **NO_NEAR_DUPLICATES,
        "pose.weights": str(weights["yolo"]),
        "pose.weights_sha256": "null",
        "pose.device": device,
        "pose.batch_size": str(args.pose_batch),
        "segment.checkpoint": str(weights["sam2"]),
        "segment.checkpoint_sha256": "null",
        "segment.model_config_name": SAM2_CONFIGS[args.sam2][0],
        "segment.device": device,
        "segment.batch_size": str(args.batch),
        "output.chunk_size": str(max(64, args.batch)),
    }
    if args.batch_threads is not None:
        overrides["runner.batch_threads"] = str(args.batch_threads)
    out = tmp / "out"
    started, started_cpu = time.perf_counter(), time.process_time()
    result = vtondata.build(raw, out, "upper", "default", overrides, runner="local", overwrite=True)
    wall = time.perf_counter() - started
    rows = read_index(out).to_pylist()
    reached_sam2 = sum(
        1 for row in rows if any(name.startswith("segment.") for name, _ in row["stats"] or [])
    )
    per_stage: dict[str, list[float]] = {}
    for row in rows:
        for stage, seconds in row["timings_s"] or []:
            per_stage.setdefault(stage, []).append(seconds)
    return {
        "inputs": result.inputs,
        "accepted": result.accepted,
        "reached_sam2": reached_sam2,
        "wall_s": wall,
        "cpu_s": time.process_time() - started_cpu,
        "photos_per_s": result.inputs / wall,
        "by_reason": result.by_reason,
        "stage_ms": {stage: 1000 * sum(times) / len(times) for stage, times in per_stage.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--images", type=int, default=256)
    parser.add_argument("--sam2", choices=sorted(SAM2_CONFIGS), default="t")
    parser.add_argument("--batch", type=int, default=16, help="SAM2 photos per batch (segment.batch_size)")
    parser.add_argument("--pose-batch", type=int, default=32, help="YOLO photos per batch (pose.batch_size)")
    parser.add_argument(
        "--batch-threads",
        type=int,
        help="runner.batch_threads of the build (default: the recipe's, half the CPUs)",
    )
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--yolo-weights",
        type=Path,
        default=_shared_yolo(),
        help="a real YOLO11n-pose checkpoint (default: VTONDATA_WEIGHTS/yolo11n-pose.pt when it exists)",
    )
    parser.add_argument(
        "--random-yolo", action="store_true", help="random YOLO weights even if real ones exist"
    )
    args = parser.parse_args()
    if args.random_yolo:
        args.yolo_weights = None

    from vtondata.backends.device import decide_device

    device = decide_device(args.device)
    with tempfile.TemporaryDirectory(prefix="vtondata-gpu-bench-") as folder:
        tmp = Path(folder)
        weights_dir = tmp / "weights"
        weights_dir.mkdir()
        weights = {
            "sam2": write_random_sam2(weights_dir, args.sam2),
            "yolo": args.yolo_weights.resolve() if args.yolo_weights else write_random_yolo(weights_dir),
        }
        os.environ["VTONDATA_WEIGHTS"] = str(weights_dir)
        name = device
        if device.startswith("cuda"):
            import torch

            name = f"{device} ({torch.cuda.get_device_name(device)})"
        print(
            f"{args.images} photos, SAM2.1 hiera-{args.sam2}, SAM2 batch {args.batch}, YOLO batch "
            f"{args.pose_batch}, device {name}, {os.cpu_count()} CPUs, "
            f"YOLO weights {'random' if args.yolo_weights is None else args.yolo_weights.name}"
        )
        floors = model_floors(args, weights, device)
        for label, rate in floors.items():
            print(f"  floor  {label}: {rate:.2f} photos/s")
        floor = floors[SAM2_FLOOR]
        figures = end_to_end(args, weights, device, tmp)
        stages = "  ".join(f"{stage} {ms:.1f} ms" for stage, ms in figures["stage_ms"].items())  # type: ignore[union-attr]
        print(
            f"  build  default recipe, local runner: {figures['photos_per_s']:.2f} photos/s end to end "
            f"(wall {figures['wall_s']:.1f} s, CPU {figures['cpu_s']:.1f} s; "
            f"{figures['accepted']}/{figures['inputs']} accepted, {figures['reached_sam2']} reached SAM2); "
            f"{floor / figures['photos_per_s']:.2f}x the SAM2 floor\n"  # type: ignore[operator]
            f"         per photo that ran the stage: {stages}\n"
            f"         rejections: {figures['by_reason'] or 'none'}"
        )


if __name__ == "__main__":
    main()
