"""Ultralytics YOLO-pose: every person in the image, COCO-17 keypoints, boxes and scores.

The checkpoint comes from the weights resolver (never from Ultralytics' own
download-on-miss), and ``load`` resolves it again by path, name and hash so a
worker on another machine finds its own copy. Images go in as a list, which
Ultralytics runs as one batch.

Ultralytics unpickles whole model objects (``weights_only=False``), so a
checkpoint could run code. ``load`` therefore reads the file's bytes once,
checks that they match the resolved sha256 and that their pickle builds only
layers (:mod:`vtondata.backends.safe_pickle`), and hands Ultralytics a private
copy of exactly those bytes. This holds for every checkpoint, pinned or not.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vtondata.backends.base import ImageSource, PoseResult, check_requires
from vtondata.backends.safe_pickle import check_model_pickle
from vtondata.backends.weights import ResolvedWeights, resolve_weights
from vtondata.config.pose import YoloPoseConfig
from vtondata.errors import WeightsNotFound

requires = ("ultralytics>=8.3", "torch")
CHECKPOINT_PACKAGES = ("ultralytics.nn.",)
"""Packages whose layer classes a YOLO checkpoint may build."""


class YoloPoseBackend:
    """YOLO-pose over batches of RGB images; no silhouette; ``device`` is fixed when the recipe is planned."""

    name = "yolo"

    def __init__(self, config: YoloPoseConfig, weights: ResolvedWeights, device: str) -> None:
        check_requires(self.name, requires)
        self.config = config
        self.weights = weights
        self.weights_sha256: str | None = weights.sha256
        self.version = importlib.metadata.version("ultralytics")
        self.device = device
        self._model: Any = None

    def load(self) -> None:
        if self._model is not None:
            return
        from ultralytics import YOLO

        path = resolve_weights(str(self.weights.path), self.weights.sha256).path
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != self.weights.sha256:
            raise WeightsNotFound(f"weights file {path} changed while it was being loaded; run again")
        check_model_pickle(data, CHECKPOINT_PACKAGES, str(path))
        with tempfile.TemporaryDirectory(prefix="vtondata-weights-") as folder:
            checked = Path(folder) / path.name
            checked.write_bytes(data)
            self._model = YOLO(str(checked), task="pose", verbose=False)

    def close(self) -> None:
        self._model = None

    def predict(
        self, images_rgb: list[np.ndarray], *, sources: Sequence[ImageSource] = ()
    ) -> list[PoseResult]:
        """``sources`` is not read: the model sees pixels only."""
        if not images_rgb:
            return []
        self.load()
        # Ultralytics treats numpy arrays as OpenCV BGR images.
        images_bgr = [np.ascontiguousarray(image[:, :, ::-1]) for image in images_rgb]
        results = self._model.predict(
            images_bgr,
            imgsz=self.config.image_size_px,
            conf=self.config.min_person_score,
            device=self.device,
            verbose=False,
        )
        return [_pose_result(result) for result in results]

    def __getstate__(self) -> dict[str, Any]:
        # A loaded model stays in its worker; a copy reloads on first use.
        state = self.__dict__.copy()
        state["_model"] = None
        return state


def check_yolo_checkpoint(weights: ResolvedWeights) -> None:
    """Raise ``WeightsNotFound`` now, at planning time, if the checkpoint's pickle could run code."""
    _check_cached(str(weights.path), weights.sha256)


@functools.lru_cache(maxsize=8)
def _check_cached(path: str, sha256: str) -> None:
    check_model_pickle(Path(path).read_bytes(), CHECKPOINT_PACKAGES, path)


def _pose_result(result: Any) -> PoseResult:
    if result.boxes is None or len(result.boxes) == 0 or result.keypoints is None:
        return PoseResult.empty()
    keypoints = result.keypoints.data.cpu().numpy().astype(np.float32)
    if keypoints.shape[1:] != (17, 3):
        raise ValueError(
            f"expected a COCO-17 pose checkpoint with confidences, got keypoints {keypoints.shape[1:]}"
        )
    return PoseResult(
        keypoints_px=keypoints,
        boxes_xyxy=result.boxes.xyxy.cpu().numpy().astype(np.float32),
        scores=result.boxes.conf.cpu().numpy().astype(np.float32),
    )
