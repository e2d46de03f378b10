"""Segment family: does the silhouette agree with the pose, and is it one person?

``segment.person_area_ratio`` and backend scores (``segment.person_mean_prob``,
a SAM2 predicted IoU) come from the segment stage. Agreement is measured both
ways a wrong silhouette shows: the torso the pose draws (shoulders to hips)
should lie on the person, and so should the joints the pose is sure of. A
second person shows up as a second large silhouette blob, or, with
single-person models (MediaPipe) whose silhouette covers one person only, as
foreground outside the silhouette: pixels far from the backdrop colour (the
median of the photo's border) that no silhouette explains. On studio
references that share is near zero; on street photos it is large, so a
threshold calibrated on a studio reference also asks for a plain backdrop.
"""

from __future__ import annotations

import cv2
import numpy as np

from vtondata.filters import thresholds as th
from vtondata.filters.image import content_region
from vtondata.geometry.agnostic import required_joints
from vtondata.geometry.keypoints import J
from vtondata.sample import Rejection, Sample

FAMILY = "segment"
COMPONENT_MIN_SHARE = 0.1
"""A silhouette blob counts as a person when it is at least this share of the largest blob."""
JOINT_SLACK_REL = 0.02
"""Joints within this share of the image height of the silhouette count as on it (edge joints)."""
BACKDROP_DISTANCE = 48
"""A pixel farther than this (largest RGB channel difference) from the backdrop colour is foreground."""
BORDER_REL = 0.02
"""Width of the photo's border band that gives the backdrop colour, as a share of its height."""
SILHOUETTE_SLACK_REL = 0.03
"""The silhouette grows by this share of the height before foreground outside it is counted (hair, edges)."""
_TORSO = ("left_shoulder", "right_shoulder", "right_hip", "left_hip")


def measure(sample: Sample, visible_confidence: float) -> dict[str, float]:
    """``segment.person_components``, ``outside_foreground``, ``torso_in_person``, ``joints_in_person``."""
    person = sample.layers.get("person")
    if person is None or not np.any(person):
        return {}
    person = np.asarray(person, dtype=bool)
    stats = {
        "segment.person_components": float(count_components(person)),
        "segment.outside_foreground": outside_foreground(sample, person),
    }
    if sample.keypoints_px is None:
        return stats
    keypoints = np.asarray(sample.keypoints_px, dtype=np.float64)
    torso = np.zeros(person.shape, dtype=np.uint8)
    cv2.fillPoly(torso, [np.round(keypoints[[J[n] for n in _TORSO], :2]).astype(np.int32)], 1)
    if torso.any():
        stats["segment.torso_in_person"] = float(
            np.count_nonzero(person & (torso > 0)) / np.count_nonzero(torso)
        )
    grown = _grow(person, max(1, round(JOINT_SLACK_REL * person.shape[0])))
    seen = [
        keypoints[J[n]] for n in required_joints(sample.category) if keypoints[J[n], 2] > visible_confidence
    ]
    height, width = person.shape
    if seen:
        stats["segment.joints_in_person"] = float(
            np.mean([0 <= x < width and 0 <= y < height and grown[int(y), int(x)] for x, y, _ in seen])
        )
    return stats


def outside_foreground(sample: Sample, person: np.ndarray) -> float:
    """Share of the photo's pixels that are neither backdrop nor near the person silhouette."""
    image = sample.image_rgb()
    content = content_region(sample, person.shape)
    ys, xs = np.nonzero(content)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    band = max(1, round(BORDER_REL * (y1 - y0)))
    border = np.zeros_like(content)
    border[y0:y1, x0:x1] = True
    border[y0 + band : y1 - band, x0 + band : x1 - band] = False
    backdrop = np.round(np.median(image[border], axis=0)).astype(np.uint8)
    difference = cv2.absdiff(image, np.broadcast_to(backdrop, image.shape).copy())
    # Per-pixel max over the three channel planes; numpy's max(axis=2) is ~10x slower here.
    foreground = np.maximum(np.maximum(difference[..., 0], difference[..., 1]), difference[..., 2])
    foreground = foreground > BACKDROP_DISTANCE
    grown = _grow(person, max(1, round(SILHOUETTE_SLACK_REL * person.shape[0])))
    return float(np.count_nonzero(foreground & content & ~grown) / np.count_nonzero(content))


def _grow(mask: np.ndarray, radius: int) -> np.ndarray:
    """``mask`` dilated by a disc of ``radius`` px, via a distance transform: its cost does not grow
    with the radius, unlike a dilation by a large kernel."""
    distance = cv2.distanceTransform((~np.asarray(mask, dtype=bool)).astype(np.uint8), cv2.DIST_L2, 5)
    return distance <= radius


def count_components(person: np.ndarray) -> int:
    """Blobs of the silhouette at least ``COMPONENT_MIN_SHARE`` of the largest one's area."""
    count, _, blob_stats, _ = cv2.connectedComponentsWithStats(person.astype(np.uint8), connectivity=8)
    areas = blob_stats[1:count, cv2.CC_STAT_AREA]
    return int(np.count_nonzero(areas >= COMPONENT_MIN_SHARE * areas.max())) if areas.size else 0


def decide(stats: dict[str, float], thresholds: list[th.Threshold]) -> Rejection | None:
    """The first failing threshold of this family."""
    return th.decide(stats, [t for t in thresholds if t.family == FAMILY])
