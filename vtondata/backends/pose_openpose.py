"""OpenPose body model (COCO-18 joints) through controlnet-aux, converted to canonical keypoints.

controlnet-aux's ``OpenposeDetector.from_pretrained(folder)`` insists on the
hand and face models too and loads with a plain ``torch.load``; this backend
builds the same ``Body`` estimator from ``body_pose_model.pth`` alone, loaded
with ``weights_only=True`` from the file the weights resolver found, and
reads ``Body``'s raw ``(candidate, subset)`` output so every joint keeps its
heat-map confidence (``detect_poses`` drops it). OpenPose COCO-18 rows become
canonical rows through :func:`vtondata.geometry.keypoints.from_body25`, and
then COCO-17 for :class:`PoseResult`. Images run one at a time (the model has
no batch path); the short side is resized to ``detect_resolution_px`` first.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

from vtondata.backends.base import ImageSource, PoseResult, check_requires
from vtondata.backends.checkpoint import load_checkpoint
from vtondata.backends.weights import ResolvedWeights, resolve_weights
from vtondata.config.pose import OpenposePoseConfig
from vtondata.geometry.keypoints import from_body25

requires = ("controlnet_aux", "torch")


class OpenposePoseBackend:
    """Every person OpenPose's part-affinity grouping finds; boxes span each person's joints."""

    name = "openpose"

    def __init__(self, config: OpenposePoseConfig, weights: ResolvedWeights, device: str) -> None:
        check_requires(self.name, requires)
        self.config = config
        self.weights = weights
        self.weights_sha256: str | None = weights.sha256
        self.device = device
        self.version = importlib.metadata.version("controlnet-aux")
        self._body: Any = None

    def load(self) -> None:
        if self._body is not None:
            return
        from controlnet_aux.open_pose.body import Body
        from controlnet_aux.open_pose.model import bodypose_model
        from controlnet_aux.open_pose.util import transfer

        state = load_checkpoint(resolve_weights(str(self.weights.path), self.weights.sha256))
        model = bodypose_model()
        model.load_state_dict(transfer(model, state))
        body = Body.__new__(Body)
        body.model = model.eval().to(self.device)
        self._body = body

    def close(self) -> None:
        self._body = None

    def predict(
        self, images_rgb: list[np.ndarray], *, sources: Sequence[ImageSource] = ()
    ) -> list[PoseResult]:
        """One result per image; ``sources`` is unused (OpenPose reads pixels only)."""
        import torch

        self.load()
        results = []
        with torch.inference_mode():
            for image in images_rgb:
                scale = self.config.detect_resolution_px / min(image.shape[:2])
                resized = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
                candidate, subset = self._body(np.ascontiguousarray(resized[:, :, ::-1]))
                results.append(people_from_openpose(candidate, subset, 1.0 / scale))
        return results

    def __getstate__(self) -> dict[str, Any]:
        # A loaded model stays in its worker; a copy reloads on first use.
        state = self.__dict__.copy()
        state["_body"] = None
        return state


def people_from_openpose(candidate: np.ndarray, subset: np.ndarray, scale: float = 1.0) -> PoseResult:
    """OpenPose ``Body`` output -> :class:`PoseResult` in pixels times ``scale``.

    ``candidate`` is ``(C, 4)`` ``(x_px, y_px, score, id)``; ``subset`` is
    ``(N, 20)``: 18 candidate indices in COCO-18 order (-1 = not found), the
    total score and the number of parts. A person's score is the mean joint
    confidence times the share of the 18 joints found.
    """
    subset = np.asarray(subset, dtype=np.float64).reshape(-1, 20)
    candidate = np.asarray(candidate, dtype=np.float64).reshape(-1, 4)
    if subset.shape[0] == 0:
        return PoseResult.empty()
    keypoints, boxes, scores = [], [], []
    for person in subset:
        coco18 = np.zeros((18, 3), dtype=np.float32)
        for row, index in enumerate(person[:18].astype(int)):
            if index >= 0:
                x, y, confidence = candidate[index, :3]
                coco18[row] = (x * scale, y * scale, np.clip(confidence, 0.0, 1.0))
        found = coco18[coco18[:, 2] > 0]
        if found.shape[0] == 0:
            continue
        keypoints.append(from_body25(coco18)[:17])
        boxes.append([*found[:, :2].min(axis=0), *found[:, :2].max(axis=0)])
        scores.append(float(found[:, 2].mean()) * found.shape[0] / 18)
    if not keypoints:
        return PoseResult.empty()
    return PoseResult(
        keypoints_px=np.stack(keypoints).astype(np.float32),
        boxes_xyxy=np.asarray(boxes, dtype=np.float32),
        scores=np.asarray(scores, dtype=np.float32),
    )
