"""MediaPipe person segmentation: one ``"person"`` layer per image, offline.

Two models ship in the mediapipe wheel. ``model: pose`` runs MediaPipe Pose
(full) for its segmentation head; ``model: selfie`` runs selfie segmentation,
trained on close-up selfies. On the full-body VITON-HD sample the pose head
matches the parse maps better and leaves no holes between arm and torso
(docs/pose.md has the numbers), so it is the default. Keypoints are not used:
neither model takes prompts.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Sequence
from typing import Any

import numpy as np

from vtondata.backends.base import ImageSource, PriorEvidence, SegmentResult, check_requires
from vtondata.backends.pose_mediapipe import (
    bundled_model,
    open_pose_solution,
    pose_model_files,
    process_quietly,
)
from vtondata.backends.weights import ResolvedWeights
from vtondata.config.segment import MediaPipeSegmentConfig

requires = ("mediapipe==0.10.14",)

POSE_MODEL_COMPLEXITY = 1
"""The full pose model: the only pose landmark model inside the wheel."""

_SELFIE_MODELS = {
    0: "selfie_segmentation/selfie_segmentation.tflite",
    1: "selfie_segmentation/selfie_segmentation_landscape.tflite",
}


class MediaPipeSegmentBackend:
    """Person silhouette from MediaPipe; ``scores["person_mean_prob"]`` is the mean probability inside it."""

    name = "mediapipe"

    def __init__(self, config: MediaPipeSegmentConfig, models: dict[str, ResolvedWeights]) -> None:
        check_requires(self.name, requires)
        self.config = config
        main = models.get("landmark_model" if config.model == "pose" else "selfie_model")
        self.weights_sha256: str | None = main.sha256 if main else None
        self.version = importlib.metadata.version("mediapipe")
        self._solution: Any = None

    def load(self) -> None:
        if self._solution is not None:
            return
        if self.config.model == "pose":
            self._solution = open_pose_solution(POSE_MODEL_COMPLEXITY, min_detection_confidence=0.5)
        else:
            import mediapipe as mp

            self._solution = mp.solutions.selfie_segmentation.SelfieSegmentation(  # pyright: ignore[reportAttributeAccessIssue]  # mediapipe builds solutions at import
                model_selection=self.config.model_selection
            )

    def close(self) -> None:
        if self._solution is not None:
            self._solution.close()
            self._solution = None

    def predict(
        self,
        images_rgb: list[np.ndarray],
        keypoints_px: list[np.ndarray],
        *,
        sources: Sequence[ImageSource] = (),
        evidence: Sequence[PriorEvidence] = (),
    ) -> list[SegmentResult]:
        """``keypoints_px`` and ``sources`` are not read: the model sees pixels only."""
        if len(images_rgb) != len(keypoints_px):
            raise ValueError(f"{len(images_rgb)} images but {len(keypoints_px)} keypoint arrays")
        self.load()
        return [self._predict_one(image) for image in images_rgb]

    def _predict_one(self, image_rgb: np.ndarray) -> SegmentResult:
        output = process_quietly(self._solution, image_rgb)
        if output.segmentation_mask is None:
            empty = np.zeros(image_rgb.shape[:2], dtype=bool)
            return SegmentResult(layers={"person": empty}, scores={"person_mean_prob": 0.0})
        probability = np.asarray(output.segmentation_mask, dtype=np.float32)
        person = probability > self.config.threshold
        mean_prob = float(probability[person].mean()) if person.any() else 0.0
        return SegmentResult(layers={"person": person}, scores={"person_mean_prob": mean_prob})

    def __getstate__(self) -> dict[str, Any]:
        # MediaPipe graphs do not pickle; a copy reopens its own on first use.
        state = self.__dict__.copy()
        state["_solution"] = None
        return state


def segment_model_files(config: MediaPipeSegmentConfig) -> dict[str, ResolvedWeights]:
    """The wheel's model files this configuration runs, hashed, without loading them."""
    if config.model == "pose":
        return pose_model_files(POSE_MODEL_COMPLEXITY)
    selfie = bundled_model(_SELFIE_MODELS[config.model_selection])
    return {"selfie_model": selfie} if selfie is not None else {}
