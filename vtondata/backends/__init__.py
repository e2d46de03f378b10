"""The explicit backend table: one function per role, one ``match`` arm per backend.

Each arm imports its backend module itself, so importing :mod:`vtondata`
never imports Ultralytics, MediaPipe or torch; only the chosen backend's
library is loaded, and only in ``load()``. Building a backend resolves its
weights (a missing or wrong checkpoint fails here, before any image) but
loads no model: stages call ``load()`` in ``setup()``. Torch backends get
their device here, from :func:`vtondata.backends.device.decide_device`.
"""

from __future__ import annotations

from vtondata.backends.base import PoseBackend, PoseResult, SegmentBackend, SegmentResult
from vtondata.backends.device import decide_device
from vtondata.backends.weights import ResolvedWeights, resolve_weights
from vtondata.config.pose import (
    AnnotationPoseConfig,
    HolisticPoseConfig,
    MediaPipePoseConfig,
    OpenposePoseConfig,
    PoseConfig,
    YoloPoseConfig,
)
from vtondata.config.segment import (
    AnnotationSegmentConfig,
    LandmarkSegmentConfig,
    MediaPipeSegmentConfig,
    Sam2SegmentConfig,
    SegmentConfig,
)

__all__ = [
    "PoseBackend",
    "PoseResult",
    "ResolvedWeights",
    "SegmentBackend",
    "SegmentResult",
    "build_pose_backend",
    "build_segment_backend",
    "resolve_backend_weights",
]


def build_pose_backend(cfg: PoseConfig) -> PoseBackend:
    """The pose backend a recipe's ``pose`` section names, not yet loaded."""
    match cfg:
        case YoloPoseConfig():
            from vtondata.backends.pose_yolo import YoloPoseBackend

            weights = resolve_weights(cfg.weights, cfg.weights_sha256)
            return YoloPoseBackend(cfg, weights, decide_device(cfg.device))
        case MediaPipePoseConfig():
            from vtondata.backends.pose_mediapipe import MediaPipePoseBackend, pose_model_files

            return MediaPipePoseBackend(cfg, pose_model_files(cfg.model_complexity))
        case HolisticPoseConfig():
            from vtondata.backends.pose_holistic import HolisticPoseBackend, holistic_model_files

            return HolisticPoseBackend(cfg, holistic_model_files(cfg))
        case OpenposePoseConfig():
            from vtondata.backends.checkpoint import resolve_checkpoint
            from vtondata.backends.pose_openpose import OpenposePoseBackend

            weights = resolve_checkpoint(cfg.weights, cfg.weights_sha256)
            return OpenposePoseBackend(cfg, weights, decide_device(cfg.device))
        case AnnotationPoseConfig():
            from vtondata.backends.pose_annotations import AnnotationPoseBackend

            return AnnotationPoseBackend(cfg)
    raise TypeError(f"no pose backend for {type(cfg).__name__}")


def build_segment_backend(cfg: SegmentConfig) -> SegmentBackend:
    """The segment backend a recipe's ``segment`` section names, not yet loaded."""
    match cfg:
        case MediaPipeSegmentConfig():
            from vtondata.backends.segment_mediapipe import MediaPipeSegmentBackend, segment_model_files

            return MediaPipeSegmentBackend(cfg, segment_model_files(cfg))
        case AnnotationSegmentConfig():
            from vtondata.backends.segment_annotations import AnnotationSegmentBackend

            return AnnotationSegmentBackend(cfg)
        case LandmarkSegmentConfig():
            from vtondata.backends.segment_landmarks import LandmarkSegmentBackend

            return LandmarkSegmentBackend(cfg)
        case Sam2SegmentConfig():
            from vtondata.backends.checkpoint import resolve_checkpoint
            from vtondata.backends.segment_sam2 import Sam2SegmentBackend

            weights = resolve_checkpoint(cfg.checkpoint, cfg.checkpoint_sha256)
            return Sam2SegmentBackend(cfg, weights, decide_device(cfg.device))
    raise TypeError(f"no segment backend for {type(cfg).__name__}")


def resolve_backend_weights(cfg: PoseConfig | SegmentConfig) -> dict[str, ResolvedWeights]:
    """Every checkpoint a section's backend will load, by role, found and hashed but not loaded.

    Raises ``WeightsNotFound`` (missing, wrong hash, unreadable) or
    ``BackendUnavailable`` (package not installed) so a build stops before it
    processes any image.
    """
    match cfg:
        case YoloPoseConfig():
            from vtondata.backends.pose_yolo import check_yolo_checkpoint

            resolved = resolve_weights(cfg.weights, cfg.weights_sha256)
            check_yolo_checkpoint(resolved)
            return {"weights": resolved}
        case MediaPipePoseConfig():
            from vtondata.backends.pose_mediapipe import pose_model_files

            return pose_model_files(cfg.model_complexity)
        case HolisticPoseConfig():
            from vtondata.backends.pose_holistic import holistic_model_files

            return holistic_model_files(cfg)
        case MediaPipeSegmentConfig():
            from vtondata.backends.segment_mediapipe import segment_model_files

            return segment_model_files(cfg)
        case OpenposePoseConfig():
            from vtondata.backends.checkpoint import resolve_checkpoint

            return {"weights": resolve_checkpoint(cfg.weights, cfg.weights_sha256)}
        case Sam2SegmentConfig():
            from vtondata.backends.checkpoint import resolve_checkpoint

            return {"checkpoint": resolve_checkpoint(cfg.checkpoint, cfg.checkpoint_sha256)}
        case AnnotationPoseConfig() | AnnotationSegmentConfig() | LandmarkSegmentConfig():
            return {}
    raise TypeError(f"no backend for {type(cfg).__name__}")
