"""Seconds per image of each model stage at 1024 px on this machine, with random weights.

Usage: ``python bench/model_stages.py [--images N]``. Writes release-format
checkpoints with random weights (``tests/random_checkpoints.py``) to a
temporary folder, then times, per 768x1024 synthetic person: SAM2.1 hiera-t
image embedding, the one batched decoder call over all pose prompts
(``Sam2SegmentConfig().layers``), candidate selection, the garment-photo
prompt, OpenPose body (512 px short side), and YOLO11n-pose when the shared
checkpoint is found. It also counts SAM2 prompts and decoder calls per image,
which is what a GPU estimate scales from (docs/sam2.md). Random weights change
no shapes, so the timings are those of the real models; the masks are not.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from tests.random_checkpoints import write_openpose_checkpoint, write_sam2_checkpoint
from tests.synthetic import POSES, dress_body, make_body
from vtondata.backends import build_pose_backend, build_segment_backend
from vtondata.config.pose import OpenposePoseConfig, YoloPoseConfig
from vtondata.config.segment import Sam2SegmentConfig
from vtondata.geometry.prompts import layer_prompts


def _median(seconds: list[float]) -> str:
    return f"{statistics.median(seconds):.3f}"


def bench_sam2(images: list[np.ndarray], keypoints: list[np.ndarray]) -> dict[str, str]:
    config = Sam2SegmentConfig(device="cpu")
    backend = build_segment_backend(config)
    backend.load()
    predictor = backend._predictor
    embed, decode, total, cloth = [], [], [], []
    prompts_per_image = []
    for image, kp in zip(images, keypoints, strict=True):
        prompts = layer_prompts(kp, (image.shape[1], image.shape[0]), config.layers)
        prompts_per_image.append(len(prompts))
        started = time.perf_counter()
        predictor.set_image_batch([image])
        embed.append(time.perf_counter() - started)
        started = time.perf_counter()
        backend.predict([image], [kp])
        total.append(time.perf_counter() - started)
        decode.append(total[-1] - embed[-1])
        started = time.perf_counter()
        backend.segment_cloth([image])
        cloth.append(time.perf_counter() - started)
    return {
        "SAM2 set_image (embedding)": _median(embed),
        "SAM2 decode, selection and chosen layers (stage total minus embedding)": _median(decode),
        "SAM2 segment stage total (embed + decode + selection)": _median(total),
        "SAM2 garment photo (embed + 1 prompt)": _median(cloth),
        "SAM2 prompts per image": f"{statistics.median(prompts_per_image):.0f}",
        "SAM2 decoder calls per image": "1",
        "SAM2 embeddings per image (person + garment photo)": "2",
    }


def bench_pose(images: list[np.ndarray]) -> dict[str, str]:
    out = {}
    backends = {"OpenPose body (512 px)": build_pose_backend(OpenposePoseConfig(device="cpu"))}
    try:
        backends["YOLO11n-pose (640 px)"] = build_pose_backend(YoloPoseConfig(device="cpu"))
    except Exception as error:
        out["YOLO11n-pose (640 px)"] = f"skipped: {type(error).__name__}"
    for label, backend in backends.items():
        backend.load()
        backend.predict(images[:1])
        seconds = []
        for image in images:
            started = time.perf_counter()
            backend.predict([image])
            seconds.append(time.perf_counter() - started)
        out[label] = _median(seconds)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=3)
    args = parser.parse_args()
    bodies = [dress_body(make_body(POSES[i % len(POSES)]), "long_sleeve_tight") for i in range(args.images)]
    images = [body.image_rgb for body in bodies]
    keypoints = [body.keypoints_px for body in bodies]
    shared_weights = os.environ.get("VTONDATA_WEIGHTS")
    with tempfile.TemporaryDirectory() as folder:
        write_sam2_checkpoint(Path(folder))
        write_openpose_checkpoint(Path(folder))
        if shared_weights and (Path(shared_weights) / "yolo11n-pose.pt").is_file():
            (Path(folder) / "yolo11n-pose.pt").symlink_to(Path(shared_weights) / "yolo11n-pose.pt")
        os.environ["VTONDATA_WEIGHTS"] = folder
        rows = {**bench_sam2(images, keypoints), **bench_pose(images)}
    print(f"| stage (768x1024, CPU, {os.cpu_count()} cores, median of {args.images}) | seconds or count |")
    print("|---|---|")
    for label, value in rows.items():
        print(f"| {label} | {value} |")


if __name__ == "__main__":
    main()
