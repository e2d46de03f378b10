"""Pose family: completeness, confidence and framing of the joints the category's mask is drawn from.

``pose.num_people`` comes from the pose stage; this module adds the
statistics that depend on the category. Framing is measured against the
photo's own area in the stored image, so letterbox bars do not count as room.
"""

from __future__ import annotations

import numpy as np

from vtondata.filters import thresholds as th
from vtondata.filters.image import content_region
from vtondata.geometry.agnostic import required_joints
from vtondata.geometry.keypoints import J
from vtondata.sample import Rejection, Sample

FAMILY = "pose"


def measure(sample: Sample, visible_confidence: float) -> dict[str, float]:
    """``pose.joint_completeness``, ``joint_conf_mean``, ``joint_conf_min`` and ``framing_margin``."""
    if sample.keypoints_px is None or sample.image_size is None:
        return {}
    keypoints = np.asarray(sample.keypoints_px, dtype=np.float64)
    rows = keypoints[[J[name] for name in required_joints(sample.category)]]
    confidence = rows[:, 2]
    width, height = sample.image_size
    content = content_region(sample, (height, width))
    ys, xs = np.nonzero(content)
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    margins = np.minimum.reduce([rows[:, 0] - x0, x1 - rows[:, 0], rows[:, 1] - y0, y1 - rows[:, 1]])
    return {
        "pose.joint_completeness": float(np.mean(confidence > visible_confidence)),
        "pose.joint_conf_mean": float(confidence.mean()),
        "pose.joint_conf_min": float(confidence.min()),
        "pose.framing_margin": float(margins.min() / (y1 - y0)),
    }


def decide(stats: dict[str, float], thresholds: list[th.Threshold]) -> Rejection | None:
    """The first failing threshold of this family."""
    return th.decide(stats, [t for t in thresholds if t.family == FAMILY])
