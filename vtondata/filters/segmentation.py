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
When the segmenter gives ``face`` and ``hands`` layers, the pose's face points
should lie on the face and its wrists next to the hands: two independent
estimates of the same body parts that agree.
"""

from __future__ import annotations

import cv2
import numpy as np

from vtondata.filters.image import content_region
from vtondata.geometry.agnostic import required_joints
from vtondata.geometry.keypoints import J
from vtondata.sample import Sample

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
HAND_REACH_REL = 0.25
"""A wrist counts as next to the hands layer within this share of the shoulder width."""
COARSE_HEIGHT_PX = 256
"""Statistics of this family are measured on a grid about this many cells tall."""
_TORSO = ("left_shoulder", "right_shoulder", "right_hip", "left_hip")
_FACE_POINTS = ("nose", "left_eye", "right_eye")
_WRISTS = ("left_wrist", "right_wrist")


def measure(sample: Sample, visible_confidence: float) -> dict[str, float]:
    """``segment.person_components``, ``outside_foreground``, ``torso_in_person``, ``joints_in_person``,
    and with face and hands layers ``face_at_pose`` and ``hands_at_pose``.

    Measured on a grid ``COARSE_HEIGHT_PX`` tall: shares and blob counts stay
    within a percent of the full-size answer for a sixteenth of the work.
    """
    person_full = sample.layers.get("person")
    if person_full is None or not np.any(person_full):
        return {}
    step = max(1, np.asarray(person_full).shape[0] // COARSE_HEIGHT_PX)
    person = _coarse(person_full, step)
    stats = {
        "segment.person_components": float(count_components(person)),
        "segment.outside_foreground": outside_foreground(sample, person, step),
    }
    if sample.keypoints_px is None:
        return stats
    keypoints = np.asarray(sample.keypoints_px, dtype=np.float64).copy()
    keypoints[:, :2] /= step
    torso = np.zeros(person.shape, dtype=np.uint8)
    cv2.fillPoly(torso, [np.round(keypoints[[J[n] for n in _TORSO], :2]).astype(np.int32)], 1)
    if torso.any():
        stats["segment.torso_in_person"] = float(
            np.count_nonzero(person & (torso > 0)) / np.count_nonzero(torso)
        )
    grown = _grow(person, max(1, round(JOINT_SLACK_REL * person.shape[0])))
    seen = _seen(keypoints, required_joints(sample.category), visible_confidence, person.shape)
    if len(seen):
        stats["segment.joints_in_person"] = float(np.mean(grown[seen[:, 1], seen[:, 0]]))
    layers = {name: _coarse(sample.layers[name], step) for name in ("face", "hands") if name in sample.layers}
    stats.update(parts_at_pose(layers, keypoints, visible_confidence))
    return stats


def parts_at_pose(
    layers: dict[str, np.ndarray], keypoints: np.ndarray, visible_confidence: float
) -> dict[str, float]:
    """``segment.face_at_pose`` and ``hands_at_pose`` for the layers that exist and the points seen.

    ``keypoints`` are in pixels of the layers' grid.
    """
    stats: dict[str, float] = {}
    face = layers.get("face")
    if face is not None and np.any(face):
        points = _seen(keypoints, _FACE_POINTS, visible_confidence, face.shape)
        if len(points):
            on_face = np.asarray(face, dtype=bool)[points[:, 1], points[:, 0]]
            stats["segment.face_at_pose"] = float(np.mean(on_face))
    hands = layers.get("hands")
    shoulders = keypoints[[J["left_shoulder"], J["right_shoulder"]]]
    if hands is not None and np.any(hands) and (shoulders[:, 2] > visible_confidence).all():
        points = _seen(keypoints, _WRISTS, visible_confidence, hands.shape)
        reach = max(1, round(HAND_REACH_REL * float(np.linalg.norm(shoulders[0, :2] - shoulders[1, :2]))))
        if len(points):
            near = _grow(np.asarray(hands, dtype=bool), reach)
            stats["segment.hands_at_pose"] = float(np.mean(near[points[:, 1], points[:, 0]]))
    return stats


def outside_foreground(sample: Sample, person: np.ndarray, step: int = 1) -> float:
    """Share of the photo's pixels that are neither backdrop nor near the person silhouette.

    ``person`` is on the grid of every ``step``-th pixel of the stored image.
    """
    image = sample.image_rgb()
    content = content_region(sample, image.shape)[::step, ::step][: person.shape[0], : person.shape[1]]
    image = cv2.resize(image, (person.shape[1], person.shape[0]), interpolation=cv2.INTER_AREA)
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


def _coarse(layer: np.ndarray, step: int) -> np.ndarray:
    """``layer`` (``HxW`` bool) on a grid ``step`` times coarser: a cell is set when half of it is."""
    layer = np.asarray(layer, dtype=np.uint8)
    if step == 1:
        return layer > 0
    size_wh = (layer.shape[1] // step, layer.shape[0] // step)
    return cv2.resize(layer * 255, size_wh, interpolation=cv2.INTER_AREA) >= 128


def _seen(
    keypoints: np.ndarray, names: tuple[str, ...], visible_confidence: float, shape_hw: tuple[int, ...]
) -> np.ndarray:
    """``(n, 2)`` int ``(x, y)``: the named joints above ``visible_confidence`` inside the image."""
    rows = keypoints[[J[n] for n in names]]
    height, width = shape_hw[:2]
    keep = (rows[:, 2] > visible_confidence) & (rows[:, 0] >= 0) & (rows[:, 0] < width)
    keep &= (rows[:, 1] >= 0) & (rows[:, 1] < height)
    return rows[keep, :2].astype(np.int64)


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
