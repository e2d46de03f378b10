"""Hand-built samples that look like the mask stage's output, and a writer for whole datasets.

Images are random noise encoded to JPEG with OpenCV, masks are random
booleans and keypoints random points inside the frame: the output code must
not care what the pixels show, only that formats and counts are right.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import webdataset as wds

from vtondata.config import Recipe, load_recipe, recipe_sha256
from vtondata.config.output import OutputConfig
from vtondata.output.manifest import build_manifest, write_manifest
from vtondata.output.shards import ChunkRecord, write_chunk
from vtondata.sample import Category, Sample
from vtondata.stages.encode import EncodeStage

WIDTH_PX, HEIGHT_PX = 48, 64
INPUTS_SHA256 = "a" * 64
STAGES = ("ingest", "cloth", "pose", "segment", "mask", "quality", "encode")
"""The stages a build with the bundled recipes runs, in data-flow order."""
REJECTED = {2: "pose.no_person", 7: "mask.missing_joints"}
"""Input index -> reason code of the rejected inputs in the ``dataset`` fixture."""
BACKENDS = {
    "pose": {
        "name": "fake",
        "version": "0.0",
        "weights": {"weights": {"path": "fake.pt", "sha256": "b" * 64}},
    },
    "segment": {"name": "fake", "version": "0.0"},
}


def make_sample(
    index: int,
    *,
    chunk: int = 0,
    category: Category = Category.UPPER,
    rejected: str | None = None,
    garment: bool = True,
) -> Sample:
    """A sample as the mask stage leaves it (or rejected with code ``rejected`` before encoding)."""
    rng = np.random.default_rng(index)
    image_bgr = rng.integers(0, 256, (HEIGHT_PX, WIDTH_PX, 3), dtype=np.uint8)
    ok, jpeg = cv2.imencode(".jpg", image_bgr, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    keypoints = np.zeros((19, 3), dtype=np.float32)
    keypoints[:, 0] = rng.uniform(0, WIDTH_PX, 19)
    keypoints[:, 1] = rng.uniform(0, HEIGHT_PX, 19)
    keypoints[:, 2] = rng.uniform(0.5, 1.0, 19)
    sample = Sample(
        key=f"{index:06d}",
        index=index,
        source_path=f"people/photo_{index:03d}.jpg",
        category=category,
        chunk=chunk,
        source_sha256=hashlib.sha256(jpeg.tobytes()).hexdigest(),
        person_jpg=jpeg.tobytes(),
        image_size=(WIDTH_PX, HEIGHT_PX),
        keypoints_px=keypoints,
        agnostic_mask=rng.random((HEIGHT_PX, WIDTH_PX)) > 0.5,
        meta={
            "ingest": {"original_size": [WIDTH_PX, HEIGHT_PX], "fit": "pad"},
            "pose": {
                "backend": "fake",
                "score": np.float32(0.875),
                "box_xyxy": np.array([1.5, 2.0, np.nan, 9.0]),
            },
        },
        stats={
            "pose.conf_min": float(keypoints[:, 2].min()),
            "mask.area_ratio": 0.5,
            "image.blur": float("nan"),
        },
        timings_s={"pose": 0.01 * (index + 1), "mask": 0.002},
    )
    if garment:
        sample.layers[f"garment_{category}"] = rng.random((HEIGHT_PX, WIDTH_PX)) > 0.7
    if rejected is not None:
        sample.reject(rejected, f"synthetic rejection of sample {index}")
    return sample


def encoded_chunk(indices: range, *, chunk: int = 0, rejected: dict[int, str] | None = None) -> list[Sample]:
    """Samples of one chunk after the encode stage; ``rejected`` maps an index to its reason code."""
    rejected = rejected or {}
    samples = [make_sample(index, chunk=chunk, rejected=rejected.get(index)) for index in indices]
    return EncodeStage(OutputConfig()).process_batch(samples)


def write_dataset(out: Path, chunks: list[list[Sample]], split: str = "train") -> list[ChunkRecord]:
    """Write every chunk and the manifest, as a build does."""
    records = [write_chunk(out, split, samples[0].chunk, samples) for samples in chunks]
    write_test_manifest(out, records, load_recipe("offline"))
    return records


def write_test_manifest(out: Path, records: list[ChunkRecord], recipe: Recipe) -> None:
    """The manifest a build would write for ``records`` under ``recipe``."""
    manifest = build_manifest(
        recipe=recipe,
        recipe_sha256=recipe_sha256(recipe),
        inputs_sha256=INPUTS_SHA256,
        category="upper",
        records=records,
        backends=BACKENDS,
        stages=list(STAGES),
        producer_version="0.1.0",
    )
    write_manifest(out, manifest)


def read_shard(path: Path) -> list[dict[str, Any]]:
    """Samples of a tar as the real ``webdataset`` reader yields them."""
    return list(wds.WebDataset(str(path), shardshuffle=False, empty_check=False))
