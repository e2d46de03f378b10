"""The encode stage: a processed sample becomes the bytes of its tar members.

Each member is encoded by its codec in :mod:`vtondata.output.format`, and
nothing depends on the clock (timings go to the index, never into the tar), so
re-running a chunk gives byte-identical shards.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from vtondata.config.output import OutputConfig
from vtondata.geometry.agnostic import masked_person
from vtondata.geometry.keypoints import CANONICAL_NAMES, openpose_json
from vtondata.geometry.skeleton import render_skeleton
from vtondata.output.format import JPEG_SIGNATURE, SCHEMA_VERSION, encode_member
from vtondata.sample import Sample
from vtondata.stages.base import Resources, Stage


class EncodeStage(Stage):
    """Fill ``sample.files`` with every tar member; rejects samples that lack an input.

    Reason codes: ``encode.missing_output`` (no image, keypoints or mask),
    ``encode.size_mismatch`` (a mask or layer not of the image's size),
    ``encode.not_jpeg`` (stored person bytes are not a JPEG, so ``person.jpg``
    would lie about its format).
    """

    name: ClassVar[str] = "encode"
    resources = Resources(num_cpus=1, batch_size=8, stateful=False)

    def __init__(self, config: OutputConfig) -> None:
        self.config = config

    def process_sample(self, sample: Sample) -> None:
        person, canonical, mask = sample.person_jpg, sample.keypoints_px, sample.agnostic_mask
        if person is None or canonical is None or mask is None:
            labels = (("person image", person), ("keypoints", canonical), ("agnostic mask", mask))
            missing = ", no ".join(label for label, value in labels if value is None)
            sample.reject("encode.missing_output", f"nothing to encode: no {missing}")
            return
        if not person.startswith(JPEG_SIGNATURE):
            sample.reject("encode.not_jpeg", "stored person image bytes are not a JPEG")
            return
        image_rgb = sample.image_rgb()
        height_px, width_px = image_rgb.shape[:2]
        garment = sample.layers.get(f"garment_{sample.category}")
        for label, array in (
            ("agnostic mask", mask),
            ("garment layer", garment),
            ("parse map", sample.parse_map),
        ):
            if array is not None and array.shape[:2] != (height_px, width_px):
                sample.reject(
                    "encode.size_mismatch",
                    f"{label} is {array.shape[1]}x{array.shape[0]} but the image is {width_px}x{height_px}",
                )
                return
        files = {
            "person.jpg": person,
            "agnostic_mask.png": encode_member("agnostic_mask.png", mask),
            "agnostic.jpg": encode_member(
                "agnostic.jpg", masked_person(image_rgb, mask, self.config.agnostic_grey_rgb)
            ),
            "pose.json": encode_member("pose.json", pose_document(canonical, width_px, height_px)),
            "pose.png": encode_member("pose.png", render_skeleton(canonical, width_px, height_px)),
            "meta.json": encode_member("meta.json", meta_document(sample, width_px, height_px)),
        }
        if garment is not None:
            files["garment_mask.png"] = encode_member("garment_mask.png", garment)
        if sample.parse_map is not None:
            files["parse.png"] = encode_member("parse.png", sample.parse_map)
        if sample.cloth_jpg is not None and sample.cloth_mask is not None:
            files["cloth.jpg"] = sample.cloth_jpg
            files["cloth_mask.png"] = encode_member("cloth_mask.png", sample.cloth_mask)
        sample.files = files


def pose_document(canonical: np.ndarray, width_px: int, height_px: int) -> dict[str, Any]:
    """``pose.json``: canonical keypoints in pixels plus the OpenPose layouts trainers read."""
    return {
        "format": "vtondata.pose",
        "image_size": {"width_px": width_px, "height_px": height_px},
        "canonical": {
            "names": list(CANONICAL_NAMES),
            "keypoints_px": [[round(float(value), 3) for value in row] for row in canonical],
        },
        "openpose_body25": openpose_json(canonical),
    }


def meta_document(sample: Sample, width_px: int, height_px: int) -> dict[str, Any]:
    """``meta.json`` (schemas/sample.schema.json): provenance and statistics, nothing time-dependent."""
    return {
        "schema_version": SCHEMA_VERSION,
        "key": sample.key,
        "index": sample.index,
        "source_path": sample.source_path,
        "source_sha256": sample.source_sha256,
        "category": str(sample.category),
        "image_size": {"width_px": width_px, "height_px": height_px},
        "stages": sample.meta,
        "stats": sample.stats,
    }
