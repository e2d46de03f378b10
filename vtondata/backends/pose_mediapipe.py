"""MediaPipe pose: one person per image, COCO-17 keypoints and a person silhouette, offline.

The ``mediapipe==0.10.14`` wheel ships the pose detector and the *full*
landmark model under ``mediapipe/modules``; the *lite* model
(``model_complexity: 0``) is not in the wheel and MediaPipe would download it
on first use, so :func:`pose_model_files` checks the files up front and fails
with a clear message when downloads are disabled.

MediaPipe finds at most one person, so ``num_people`` is 0 or 1 and the
multiple-people check of the pose stage cannot fire with this backend. Its
person score is the mean landmark visibility of the 17 COCO joints (MediaPipe
does not expose the detector's score).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vtondata.backends.base import ImageSource, PoseResult, check_requires
from vtondata.backends.weights import ResolvedWeights, downloads_allowed, resolve_weights
from vtondata.config.pose import MediaPipePoseConfig
from vtondata.errors import BackendUnavailable, WeightsNotFound
from vtondata.quiet import ignore_always

requires = ("mediapipe==0.10.14",)

COCO17_FROM_LANDMARKS: tuple[int, ...] = (0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)
"""MediaPipe's 33 landmark indices for the COCO-17 joints, in COCO order."""

SILHOUETTE_THRESHOLD = 0.5
"""Segmentation probability above which a pixel belongs to the person."""

_DETECTOR_MODEL = "pose_detection/pose_detection.tflite"
_LANDMARK_MODELS = {
    0: "pose_landmark/pose_landmark_lite.tflite",
    1: "pose_landmark/pose_landmark_full.tflite",
}


class MediaPipePoseBackend:
    """MediaPipe Pose in static-image mode with segmentation on."""

    name = "mediapipe"

    def __init__(self, config: MediaPipePoseConfig, models: dict[str, ResolvedWeights]) -> None:
        check_requires(self.name, requires)
        self.config = config
        landmark = models.get("landmark_model")
        self.weights_sha256: str | None = landmark.sha256 if landmark else None
        self.version = importlib.metadata.version("mediapipe")
        self._solution: Any = None

    def load(self) -> None:
        if self._solution is None:
            self._solution = open_pose_solution(
                self.config.model_complexity, self.config.min_detection_confidence
            )

    def close(self) -> None:
        if self._solution is not None:
            self._solution.close()
            self._solution = None

    def predict(
        self, images_rgb: list[np.ndarray], *, sources: Sequence[ImageSource] = ()
    ) -> list[PoseResult]:
        """``sources`` is not read: the model sees pixels only."""
        self.load()
        return [self._predict_one(image) for image in images_rgb]

    def _predict_one(self, image_rgb: np.ndarray) -> PoseResult:
        height, width = image_rgb.shape[:2]
        output = process_quietly(self._solution, image_rgb)
        if output.pose_landmarks is None:
            return PoseResult.empty()
        pose33 = landmark_points(output.pose_landmarks, width, height)
        return pose_result(pose33, output.segmentation_mask, (width, height))

    def __getstate__(self) -> dict[str, Any]:
        # MediaPipe graphs do not pickle; a copy reopens its own on first use.
        state = self.__dict__.copy()
        state["_solution"] = None
        return state


def pose_model_files(model_complexity: int) -> dict[str, ResolvedWeights]:
    """The pose detector and landmark model inside the installed wheel, hashed, without loading them.

    A file missing from the wheel is left out when downloads are allowed
    (MediaPipe fetches it on first use) and raises ``WeightsNotFound`` when
    they are not.
    """
    files = {"detector_model": _DETECTOR_MODEL, "landmark_model": _LANDMARK_MODELS[model_complexity]}
    found = {role: bundled_model(relative) for role, relative in files.items()}
    return {role: resolved for role, resolved in found.items() if resolved is not None}


def bundled_model(relative: str) -> ResolvedWeights | None:
    """A model file under ``mediapipe/modules``; see :func:`pose_model_files` for the missing case."""
    path = mediapipe_modules_dir() / relative
    if path.is_file():
        return resolve_weights(str(path))
    allowed, why_not = downloads_allowed()
    if allowed:
        return None
    raise WeightsNotFound(
        f"MediaPipe model '{Path(relative).name}' is not in the installed mediapipe wheel ({path}), and "
        f"MediaPipe would download it but downloads are disabled ({why_not}). Choose a model the wheel "
        "ships: pose model_complexity 1 (full); selfie segmentation model_selection 0 or 1."
    )


def mediapipe_modules_dir() -> Path:
    """``site-packages/mediapipe/modules``, found without importing mediapipe."""
    spec = importlib.util.find_spec("mediapipe")
    if spec is None or not spec.submodule_search_locations:
        check_requires("mediapipe", requires)
        raise BackendUnavailable("mediapipe is installed as a module, not a package; reinstall it")
    return Path(next(iter(spec.submodule_search_locations))) / "modules"


def landmark_points(landmarks: Any, width: int, height: int, *, with_visibility: bool = True) -> np.ndarray:
    """MediaPipe's normalised landmarks as ``(N, 3)`` float32 ``(x_px, y_px, visibility)``; landmark
    sets without visibility (face mesh, hands) get 1."""
    return np.array(
        [
            (point.x * width, point.y * height, point.visibility if with_visibility else 1.0)
            for point in landmarks.landmark
        ],
        dtype=np.float32,
    )


def pose_result(
    pose33_px: np.ndarray,
    segmentation_mask: Any,
    size_wh: tuple[int, int],
    landmarks_px: dict[str, np.ndarray] | None = None,
) -> PoseResult:
    """One person's :class:`PoseResult` from MediaPipe's 33 pose landmarks and segmentation output.

    COCO-17 keypoints with visibility as confidence, the box of all 33 points
    clipped to the image, their mean confidence as the person score, and the
    silhouette above :data:`SILHOUETTE_THRESHOLD`.
    """
    width, height = size_wh
    keypoints = pose33_px[list(COCO17_FROM_LANDMARKS)]
    keypoints[:, 2] = np.clip(keypoints[:, 2], 0.0, 1.0)
    xs = np.clip(pose33_px[:, 0], 0, width)
    ys = np.clip(pose33_px[:, 1], 0, height)
    silhouette = None
    if segmentation_mask is not None:
        silhouette = np.asarray(segmentation_mask) > SILHOUETTE_THRESHOLD
    return PoseResult(
        keypoints_px=keypoints[None],
        boxes_xyxy=np.array([[xs.min(), ys.min(), xs.max(), ys.max()]], dtype=np.float32),
        scores=np.array([keypoints[:, 2].mean()], dtype=np.float32),
        silhouette=silhouette,
        landmarks_px=landmarks_px or {},
    )


def open_pose_solution(model_complexity: int, min_detection_confidence: float) -> Any:
    """A MediaPipe Pose graph for independent photos, with the segmentation head on."""
    import mediapipe as mp

    return mp.solutions.pose.Pose(  # pyright: ignore[reportAttributeAccessIssue]  # mediapipe builds solutions at import
        static_image_mode=True,
        model_complexity=model_complexity,
        enable_segmentation=True,
        min_detection_confidence=min_detection_confidence,
    )


def process_quietly(solution: Any, image_rgb: np.ndarray) -> Any:
    """Run a MediaPipe solution on one ``HxWx3`` uint8 RGB image.

    mediapipe 0.10.14 with protobuf 4.25 warns about a deprecated protobuf
    call on every image; that warning says nothing about the data, so a filter
    for it alone stays in place (:mod:`vtondata.quiet` says why not
    ``catch_warnings``).
    """
    ignore_always(r"SymbolDatabase\.GetPrototype\(\) is deprecated", UserWarning, r"google\.protobuf\.")
    return solution.process(np.ascontiguousarray(image_rgb))
