"""Evidence layers drawn from the pose stage's landmarks: no model of its own.

With the ``holistic`` pose backend, one MediaPipe pass has already found the
silhouette, the face mesh, both hands and the foot landmarks. This backend
turns them, with the photo's own colours, into the face, hands, feet, skin
and hair layers (vtondata.geometry.evidence), so the offline recipe runs one
model per photo. Scores: ``face_mesh`` (1 when a face mesh was found),
``hands_found`` and ``feet_found`` (counts).
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Sequence

import numpy as np

from vtondata.backends.base import ImageSource, PriorEvidence, SegmentResult
from vtondata.config.segment import LandmarkSegmentConfig
from vtondata.geometry.evidence.layers import landmark_layers


class LandmarkSegmentBackend:
    """Face, hands, feet, skin and hair from landmarks and the silhouette (``backend: landmarks``)."""

    name = "landmarks"
    weights_sha256: str | None = None

    def __init__(self, config: LandmarkSegmentConfig) -> None:
        self.config = config
        self.version = importlib.metadata.version("opencv-python-headless")

    def load(self) -> None:
        """Nothing to load: the layers are geometry and colour models fit per photo."""

    def close(self) -> None:
        """Nothing to release."""

    def predict(
        self,
        images_rgb: list[np.ndarray],
        keypoints_px: list[np.ndarray],
        *,
        sources: Sequence[ImageSource] = (),
        evidence: Sequence[PriorEvidence] = (),
    ) -> list[SegmentResult]:
        """``evidence`` (one per image) carries the pose stage's silhouette and landmark sets;
        ``sources`` (when given) where each photo lies in its image, so that no layer reaches a
        letterbox bar."""
        if len(evidence) != len(images_rgb) or len(keypoints_px) != len(images_rgb):
            raise ValueError(
                f"{len(images_rgb)} images, {len(keypoints_px)} keypoint arrays and {len(evidence)} evidence "
                "records: the landmarks backend needs one of each per image (pose backend 'holistic')"
            )
        canvases = [(image.shape[1], image.shape[0]) for image in images_rgb]
        boxes = (
            [source.photo_box(wh) for source, wh in zip(sources, canvases, strict=True)]
            if sources
            else [None] * len(images_rgb)
        )
        results = []
        for image, keypoints, prior, box in zip(images_rgb, keypoints_px, evidence, boxes, strict=True):
            layers, counts = landmark_layers(
                image, keypoints, prior.landmarks_px, prior.layers.get("person"), self.config, photo_xyxy=box
            )
            results.append(SegmentResult(layers=layers, scores=counts))
        return results
