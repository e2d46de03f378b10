"""Pose family: completeness, confidence and framing of the joints the category's mask is drawn from.

``pose.num_people`` comes from the pose stage; this module adds the
statistics that depend on the category. A half-body catalogue photo
legitimately cuts the hips or the legs: the mask extrapolates the joints
outside the frame, so completeness and confidence are judged on the joints
that lie *inside* the photo, and framing asks two things only: are the
category's anchor joints (where its garment starts) inside with some room,
and how much of the bones its garment covers is inside. Everything is
measured against the photo's own area in the stored image, so letterbox bars
do not count as room.
"""

from __future__ import annotations

import numpy as np

from vtondata.backends.base import photo_box
from vtondata.geometry.agnostic import required_joints
from vtondata.geometry.keypoints import J
from vtondata.geometry.regions import points_in_box
from vtondata.sample import Category, Sample

_TORSO = (("left_shoulder", "left_hip"), ("right_shoulder", "right_hip"))
_THIGHS = (("left_hip", "left_knee"), ("right_hip", "right_knee"))
GARMENT_BONES = {Category.UPPER: _TORSO, Category.LOWER: _THIGHS, Category.DRESS: _TORSO + _THIGHS}
"""The bones each category's garment covers in every photo that shows it (sleeves and hems vary)."""
ANCHORS = {
    Category.UPPER: ("left_shoulder", "right_shoulder"),
    Category.LOWER: ("left_hip", "right_hip"),
    Category.DRESS: ("left_shoulder", "right_shoulder"),
}
"""Where each category's garment starts: these joints must be in the photo for the mask to fit."""
_SAMPLES_PER_BONE = 64


def measure(sample: Sample, visible_confidence: float) -> dict[str, float]:
    """``pose.joint_completeness``, ``joint_conf_mean``, ``joint_conf_min``, ``framing_margin`` and
    ``body_in_frame``; the first three over the category's joints inside the photo."""
    if sample.keypoints_px is None or sample.image_size is None:
        return {}
    keypoints = np.asarray(sample.keypoints_px, dtype=np.float64)
    box = photo_box(sample)
    category = Category(sample.category)
    rows = keypoints[[J[name] for name in required_joints(category)]]
    inside = rows[points_in_box(rows, box)]
    anchors = keypoints[[J[name] for name in ANCHORS[category]]]
    x0, y0, x1, y1 = box
    margins = np.minimum.reduce(
        [anchors[:, 0] - x0, x1 - anchors[:, 0], anchors[:, 1] - y0, y1 - anchors[:, 1]]
    )
    stats = {
        "pose.framing_margin": float(margins.min() / (y1 - y0)),
        "pose.body_in_frame": body_in_frame(keypoints, category, box),
    }
    if len(inside):
        confidence = inside[:, 2]
        stats["pose.joint_completeness"] = float(np.mean(confidence > visible_confidence))
        stats["pose.joint_conf_mean"] = float(confidence.mean())
        stats["pose.joint_conf_min"] = float(confidence.min())
    return stats


def body_in_frame(keypoints: np.ndarray, category: Category, box: tuple[float, float, float, float]) -> float:
    """Share of the summed length of the category's garment bones that lies inside ``box`` (xyxy)."""
    total = inside = 0.0
    steps = (np.arange(_SAMPLES_PER_BONE) + 0.5) / _SAMPLES_PER_BONE
    for a, b in GARMENT_BONES[category]:
        start, end = keypoints[J[a], :2], keypoints[J[b], :2]
        length = float(np.linalg.norm(end - start))
        points = start + steps[:, None] * (end - start)
        total += length
        inside += length * float(np.mean(points_in_box(points, box)))
    return inside / total if total > 0 else 0.0
