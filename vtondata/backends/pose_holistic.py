"""MediaPipe Holistic: pose, silhouette, face mesh and both hands from one pass, offline.

The ``mediapipe==0.10.14`` wheel ships every model Holistic runs (pose
detector and full landmark model, face landmarks with attention, hand
landmarks and the hand re-crop model), so nothing is downloaded. One call
gives what the offline recipe used to run the pose model twice for, plus the
landmarks the evidence layers are drawn from (``landmarks_px``: ``pose33``,
``face``, ``left_hand``, ``right_hand``, each ``(N, 3)`` rows ``(x_px, y_px,
visibility)``; hands and face carry visibility 1). Holistic finds at most one
person, like MediaPipe Pose.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Sequence
from typing import Any

import numpy as np

from vtondata.backends.base import ImageSource, PoseResult, check_requires
from vtondata.backends.pose_mediapipe import (
    bundled_model,
    landmark_points,
    pose_model_files,
    pose_result,
    process_quietly,
)
from vtondata.backends.weights import ResolvedWeights
from vtondata.config.pose import HolisticPoseConfig

requires = ("mediapipe==0.10.14",)

MODEL_COMPLEXITY = 1
"""The full pose landmark model: the only one inside the wheel."""

_FACE_MODELS = {
    True: "face_landmark/face_landmark_with_attention.tflite",
    False: "face_landmark/face_landmark.tflite",
}
_HAND_MODELS = {
    "hand_model": "hand_landmark/hand_landmark_full.tflite",
    "hand_recrop_model": "holistic_landmark/hand_recrop.tflite",
}
_BLANK = np.zeros((32, 32, 3), dtype=np.uint8)
_LANDMARK_SETS = {
    "face": "face_landmarks",
    "left_hand": "left_hand_landmarks",
    "right_hand": "right_hand_landmarks",
}


class HolisticPoseBackend:
    """MediaPipe Holistic in static-image mode with segmentation on."""

    name = "holistic"

    def __init__(self, config: HolisticPoseConfig, models: dict[str, ResolvedWeights]) -> None:
        check_requires(self.name, requires)
        self.config = config
        landmark = models.get("landmark_model")
        self.weights_sha256: str | None = landmark.sha256 if landmark else None
        self.version = importlib.metadata.version("mediapipe")
        self._solution: Any = None

    def load(self) -> None:
        if self._solution is None:
            import mediapipe as mp

            self._solution = mp.solutions.holistic.Holistic(  # pyright: ignore[reportAttributeAccessIssue]  # mediapipe builds solutions at import
                static_image_mode=True,
                model_complexity=MODEL_COMPLEXITY,
                enable_segmentation=True,
                refine_face_landmarks=self.config.refine_face_landmarks,
                min_detection_confidence=self.config.min_detection_confidence,
            )

    def predict(
        self, images_rgb: list[np.ndarray], *, sources: Sequence[ImageSource] = ()
    ) -> list[PoseResult]:
        """``sources`` is not read: the model sees pixels only."""
        self.load()
        return [self._predict_one(image) for image in images_rgb]

    def _predict_one(self, image_rgb: np.ndarray) -> PoseResult:
        height, width = image_rgb.shape[:2]
        output = process_quietly(self._solution, image_rgb)
        # Even in static-image mode, Holistic's face stage starts from the previous photo's face
        # when it sits in the same place (catalogue shots often do), so results would depend on
        # the order photos arrive in. A blank frame in between leaves nothing to carry over.
        process_quietly(self._solution, _BLANK)
        if output.pose_landmarks is None:
            return PoseResult.empty()
        pose33 = landmark_points(output.pose_landmarks, width, height)
        landmarks = {"pose33": pose33}
        for name, attribute in _LANDMARK_SETS.items():
            found = getattr(output, attribute)
            if found is not None:
                landmarks[name] = landmark_points(found, width, height, with_visibility=False)
        return pose_result(pose33, output.segmentation_mask, (width, height), landmarks)

    def __getstate__(self) -> dict[str, Any]:
        # MediaPipe graphs do not pickle; a copy reopens its own on first use.
        state = self.__dict__.copy()
        state["_solution"] = None
        return state


def holistic_model_files(config: HolisticPoseConfig) -> dict[str, ResolvedWeights]:
    """Every model file Holistic runs, inside the installed wheel, hashed without loading."""
    files = dict(pose_model_files(MODEL_COMPLEXITY))
    for role, relative in {"face_model": _FACE_MODELS[config.refine_face_landmarks], **_HAND_MODELS}.items():
        found = bundled_model(relative)
        if found is not None:
            files[role] = found
    return files
