"""Canonical keypoints and conversions to the OpenPose layouts trainers read.

Canonical layout: ``(19, 3)`` float32 rows ``(x_px, y_px, confidence)`` in
pixels of the stored image; rows 0-16 follow COCO-17, row 17 is the neck
(shoulder midpoint) and row 18 the mid-hip (hip midpoint). A joint that was
not detected has confidence 0 (its coordinates are then meaningless).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

CANONICAL_NAMES: tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
    "neck", "mid_hip",
)  # fmt: skip
J = {name: index for index, name in enumerate(CANONICAL_NAMES)}
"""Joint name -> row in the canonical array."""

NUM_CANONICAL = len(CANONICAL_NAMES)

# OpenPose BODY_25 row -> canonical row (-1: no canonical counterpart; feet stay empty).
BODY25_FROM_CANONICAL: tuple[int, ...] = (
    J["nose"], J["neck"], J["right_shoulder"], J["right_elbow"], J["right_wrist"],
    J["left_shoulder"], J["left_elbow"], J["left_wrist"], J["mid_hip"],
    J["right_hip"], J["right_knee"], J["right_ankle"],
    J["left_hip"], J["left_knee"], J["left_ankle"],
    J["right_eye"], J["left_eye"], J["right_ear"], J["left_ear"],
    -1, -1, -1, -1, -1, -1,
)  # fmt: skip

# OpenPose COCO-18 row -> canonical row (BODY_25 without mid-hip and feet).
COCO18_FROM_CANONICAL: tuple[int, ...] = tuple(
    index for index in BODY25_FROM_CANONICAL[:19] if index != J["mid_hip"]
)


def canonical_from_coco17(coco17: np.ndarray) -> np.ndarray:
    """``(17, 3)`` COCO keypoints -> ``(19, 3)`` canonical, adding neck and mid-hip.

    A derived joint is the midpoint of its pair with the lower confidence of
    the two, so it is never more trusted than its weakest parent.
    """
    coco17 = np.asarray(coco17, dtype=np.float32)
    if coco17.shape != (17, 3):
        raise ValueError(f"expected (17, 3) COCO keypoints, got {coco17.shape}")
    out = np.zeros((NUM_CANONICAL, 3), dtype=np.float32)
    out[:17] = coco17
    for derived, (a, b) in (
        ("neck", ("left_shoulder", "right_shoulder")),
        ("mid_hip", ("left_hip", "right_hip")),
    ):
        pa, pb = coco17[J[a]], coco17[J[b]]
        out[J[derived], :2] = (pa[:2] + pb[:2]) / 2
        out[J[derived], 2] = min(pa[2], pb[2])
    return out


def _reorder(canonical: np.ndarray, table: tuple[int, ...]) -> np.ndarray:
    canonical = np.asarray(canonical, dtype=np.float32)
    out = np.zeros((len(table), 3), dtype=np.float32)
    for row, source in enumerate(table):
        if source >= 0:
            out[row] = canonical[source]
    return out


def to_body25(canonical: np.ndarray) -> np.ndarray:
    """Canonical ``(19, 3)`` -> OpenPose BODY_25 ``(25, 3)``; the six foot joints are zero."""
    return _reorder(canonical, BODY25_FROM_CANONICAL)


def to_coco18(canonical: np.ndarray) -> np.ndarray:
    """Canonical ``(19, 3)`` -> OpenPose COCO-18 ``(18, 3)``."""
    return _reorder(canonical, COCO18_FROM_CANONICAL)


def from_body25(body25: np.ndarray) -> np.ndarray:
    """OpenPose BODY_25 ``(25, 3)`` (or COCO-18 ``(18, 3)``) -> canonical ``(19, 3)``.

    Neck and mid-hip are taken from OpenPose when present, else derived.
    """
    body25 = np.asarray(body25, dtype=np.float32)
    table = {25: BODY25_FROM_CANONICAL, 18: COCO18_FROM_CANONICAL}.get(body25.shape[0])
    if table is None or body25.shape[1] != 3:
        raise ValueError(f"expected (25, 3) BODY_25 or (18, 3) COCO-18 keypoints, got {body25.shape}")
    out = np.zeros((NUM_CANONICAL, 3), dtype=np.float32)
    for row, target in enumerate(table):
        if target >= 0:
            out[target] = body25[row]
    derived = canonical_from_coco17(out[:17])
    for name in ("neck", "mid_hip"):
        if out[J[name], 2] <= 0:
            out[J[name]] = derived[J[name]]
    return out


OPENPOSE_JSON_VERSION = 1.3
"""The OpenPose output version VITON-HD's ``openpose-json`` files carry (BODY_25 layout)."""

_OPENPOSE_EMPTY_FIELDS = (
    "face_keypoints_2d", "hand_left_keypoints_2d", "hand_right_keypoints_2d",
    "pose_keypoints_3d", "face_keypoints_3d", "hand_left_keypoints_3d", "hand_right_keypoints_3d",
)  # fmt: skip


def openpose_json(canonical: np.ndarray) -> dict[str, Any]:
    """Canonical ``(19, 3)`` -> the OpenPose 1.3 JSON document VITON-HD loaders read.

    One person with ``person_id [-1]`` and ``pose_keypoints_2d`` holding 25
    BODY_25 joints as 75 flat numbers ``x, y, c``; a joint with confidence 0
    is written ``0, 0, 0`` as OpenPose does. Face, hand and 3-D fields are
    present and empty.
    """
    body25 = to_body25(canonical)
    flat: list[float] = []
    for x, y, conf in body25.tolist():
        flat += [round(x, 3), round(y, 3), round(conf, 6)] if conf > 0 else [0.0, 0.0, 0.0]
    person: dict[str, Any] = {"person_id": [-1], "pose_keypoints_2d": flat}
    person.update({field: [] for field in _OPENPOSE_EMPTY_FIELDS})
    return {"version": OPENPOSE_JSON_VERSION, "people": [person]}


def load_openpose_json(source: str | Path | Mapping[str, Any]) -> np.ndarray:
    """An OpenPose JSON file (or its parsed dict) -> canonical ``(19, 3)`` float32.

    Reads the first person's ``pose_keypoints_2d`` (BODY_25 or COCO-18); a
    document without people gives all zeros (no joint detected).
    """
    document = source if isinstance(source, Mapping) else json.loads(Path(source).read_text(encoding="utf-8"))
    people = document.get("people") or []
    if not people:
        return np.zeros((NUM_CANONICAL, 3), dtype=np.float32)
    flat = np.asarray(people[0]["pose_keypoints_2d"], dtype=np.float32)
    if flat.size % 3:
        raise ValueError(f"pose_keypoints_2d has {flat.size} numbers, not a multiple of 3")
    return from_body25(flat.reshape(-1, 3))


def body_scale_px(canonical: np.ndarray) -> float:
    """A length in pixels that grows with the person: the shoulder width.

    Falls back to 0.45 x the neck-to-mid-hip distance (a typical torso aspect)
    when a shoulder is missing, and to 0 when neither is available, so callers
    can reject rather than guess.
    """
    kp = np.asarray(canonical, dtype=np.float32)
    ls, rs = kp[J["left_shoulder"]], kp[J["right_shoulder"]]
    if ls[2] > 0 and rs[2] > 0:
        return float(np.hypot(*(ls[:2] - rs[:2])))
    neck, hip = kp[J["neck"]], kp[J["mid_hip"]]
    if neck[2] > 0 and hip[2] > 0:
        return 0.45 * float(np.hypot(*(neck[:2] - hip[:2])))
    return 0.0
