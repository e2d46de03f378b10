"""Pose from a dataset's own keypoint files (VITON-HD OpenPose JSON, DressCode keypoints).

Re-processing an existing dataset should reuse the keypoints it ships rather
than re-detect them. The files hold joints in pixels of the original photo;
each image's :class:`~vtondata.backends.base.ImageSource` carries the
placement ingest applied, so joints land on the stored image as pixels do:
``stored_xy = upright_xy * scale + offset_xy``. DressCode files hold
coordinates at half resolution (384x512 for 768x1024 photos) and are doubled
first. Every annotated person becomes one detection with score 1 and the box
around its confident joints, so the pose stage's people rules still apply.
An image without a keypoint file gets a result carrying ``no_annotation``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from vtondata import __version__
from vtondata.backends.base import ImageSource, PoseResult
from vtondata.config.pose import AnnotationPoseConfig
from vtondata.geometry.keypoints import from_body25
from vtondata.ingest.decode import Placement
from vtondata.ingest.layouts import annotation_places, find_annotation

DRESSCODE_KEYPOINT_SCALE = 2.0
"""DressCode keypoints are stored at half the photo's resolution."""


class AnnotationPoseBackend:
    """Reads keypoint files; ``predict`` needs one :class:`ImageSource` per image."""

    name = "annotations"
    version = __version__
    weights_sha256: str | None = None

    def __init__(self, config: AnnotationPoseConfig) -> None:
        self.config = config

    def load(self) -> None:
        """Nothing to load: the annotations are read per image."""

    def close(self) -> None:
        """Nothing to release."""

    def predict(
        self, images_rgb: list[np.ndarray], *, sources: Sequence[ImageSource] = ()
    ) -> list[PoseResult]:
        if len(sources) != len(images_rgb):
            raise ValueError(f"{len(images_rgb)} images but {len(sources)} sources: one each is needed")
        return [self._predict_one(source) for source in sources]

    def _predict_one(self, source: ImageSource) -> PoseResult:
        path = find_annotation(source.path, "keypoints")
        if path is None:
            message = f"no keypoint file for {source.path} (looked for {annotation_places('keypoints')})"
            return PoseResult.empty(no_annotation=message)
        if source.placement is None:
            raise ValueError(f"{source.path}: no ingest placement to map its annotated keypoints with")
        people = read_keypoint_file(path, self.config.format)
        people[:, :, 2] = np.where(people[:, :, 2] > self.config.min_confidence, people[:, :, 2], 0.0)
        people = np.stack([to_stored_px(person, source.placement) for person in people])
        confident = [person for person in people if np.any(person[:, 2] > 0)]
        if not confident:
            return PoseResult.empty()
        boxes = [_box_xyxy(person) for person in confident]
        return PoseResult(
            keypoints_px=np.stack(confident).astype(np.float32),
            boxes_xyxy=np.asarray(boxes, dtype=np.float32),
            scores=np.ones((len(confident),), dtype=np.float32),
        )


def read_keypoint_file(path: Path, file_format: str) -> np.ndarray:
    """``(N, 17, 3)`` float32 COCO-17 keypoints in pixels of the original (upright) photo.

    ``"openpose_json"``: every entry of ``people`` (``pose_keypoints_2d``,
    BODY_25 or COCO-18, flat ``x, y, c``); ``N = 0`` without people.
    ``"dresscode"``: the single person of ``keypoints`` (18 COCO-18 rows of
    ``x, y, score[, id]`` at half resolution), doubled.
    """
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    if file_format == "openpose_json":
        rows = [np.asarray(p["pose_keypoints_2d"], np.float32).reshape(-1, 3) for p in document["people"]]
        scale = 1.0
    elif file_format == "dresscode":
        table = np.asarray(document["keypoints"], dtype=np.float32)
        rows = [table.reshape(18, -1)[:, :3]]
        scale = DRESSCODE_KEYPOINT_SCALE
    else:
        raise ValueError(f"unknown keypoint file format {file_format!r}")
    people = np.zeros((len(rows), 17, 3), dtype=np.float32)
    for index, body in enumerate(rows):
        people[index] = from_body25(body)[:17]
    people[:, :, :2] *= scale
    return people


def to_stored_px(keypoints_px: np.ndarray, placement: Placement) -> np.ndarray:
    """``(K, 3)`` upright-photo keypoints -> stored-image pixels; confidence 0 rows become all zero."""
    out = np.array(keypoints_px, dtype=np.float32, copy=True)
    out[:, :2] = out[:, :2] * placement.scale + np.asarray(placement.offset_xy, dtype=np.float32)
    out[out[:, 2] <= 0] = 0.0
    return out


def _box_xyxy(keypoints_px: np.ndarray) -> tuple[float, float, float, float]:
    confident = keypoints_px[keypoints_px[:, 2] > 0, :2]
    x0, y0 = confident.min(axis=0)
    x1, y1 = confident.max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)
