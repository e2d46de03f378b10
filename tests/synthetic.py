"""Synthetic people with known ground truth: does a mask hide the old garment's form?

:func:`make_body` draws an undressed person from a pose as a label map of body
parts (capsules, ellipses and polygons); :func:`dress_body` paints one garment
variant over it and returns the image, the garment's visible pixels, the
person silhouette (which widens with loose garments) and the face, hair, hands
and feet that stay visible. Proportions are in units of the shoulder width
``s`` and follow adult anthropometry closely enough for the mask parameters
tuned here to carry over to photos (VITON-HD: chin 0.3-0.45 s above the
shoulder line, collars 0.2-0.35 s above it; see docs/masks.md).

Body coordinates: origin at the shoulder midpoint, x to the image's right (the
person's left, frontal view), y down, unit ``s``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from vtondata.config.segment import LandmarkSegmentConfig
from vtondata.geometry.evidence.feet import feet_layer
from vtondata.geometry.evidence.pose33 import P
from vtondata.geometry.keypoints import NUM_CANONICAL, J

PARTS = (
    "background", "hair", "head", "face", "neck", "torso", "upper_arm", "forearm", "hand",
    "thigh", "shin", "foot", "upper_garment", "lower_garment", "dress",
)  # fmt: skip
LABEL = {name: index for index, name in enumerate(PARTS)}
POSES = ("arms_down", "arms_out", "hands_on_hips", "crossed_legs", "walking")
FITS = ("tight", "loose")
GARMENTS = {
    "upper": tuple(f"{g}_{f}" for g in ("sleeveless", "short_sleeve", "long_sleeve") for f in FITS),
    "lower": tuple(f"{g}_{f}" for g in ("shorts", "knee_skirt", "long_skirt", "trousers") for f in FITS),
    "dress": tuple(f"{g}_{f}" for g in ("short_dress", "long_dress") for f in FITS),
}
SKIN_PARTS = ("head", "neck", "torso", "upper_arm", "forearm", "thigh", "shin")
"""Parts that show bare skin where no garment covers them (``head``: ears and neck under the face)."""
CATEGORY_OF = {garment: category for category, names in GARMENTS.items() for garment in names}

UPPER_ARM, FOREARM, THIGH, SHIN = 0.9, 0.75, 1.25, 1.2
SHOULDER, HIP = (0.5, 0.0), (0.34, 1.5)
# (shoulder->elbow, elbow->wrist) angles from the downward vertical, degrees, positive outwards.
ARM_ANGLES = {
    "arms_down": ((8, 5), (8, 5)),
    "arms_out": ((45, 50), (45, 50)),
    "hands_on_hips": ((35, None), (35, None)),
    "crossed_legs": ((8, 5), (8, 5)),
    "walking": ((12, 20), (4, -4)),
}
# (knee_x, ankle_x) per leg, person's left then right.
LEG_X = {
    "arms_down": ((0.30, 0.28), (-0.30, -0.28)),
    "arms_out": ((0.34, 0.36), (-0.34, -0.36)),
    "hands_on_hips": ((0.30, 0.28), (-0.30, -0.28)),
    "crossed_legs": ((0.12, -0.12), (-0.10, 0.14)),
    "walking": ((0.45, 0.62), (-0.28, -0.40)),
}
TORSO_OUTLINE = (
    (-0.17, -0.18), (0.17, -0.18), (0.55, -0.06), (0.52, 0.35), (0.42, 1.05),
    (0.56, 1.55), (0.30, 1.80), (0.0, 1.85), (-0.30, 1.80), (-0.56, 1.55), (-0.42, 1.05), (-0.52, 0.35),
    (-0.55, -0.06),
)  # fmt: skip
COLOURS = {
    "background": (235, 235, 230), "hair": (70, 45, 30), "head": (224, 172, 140),
    "face": (230, 180, 150), "neck": (218, 166, 134), "torso": (222, 170, 138),
    "upper_arm": (220, 168, 136), "forearm": (222, 170, 140), "hand": (228, 176, 146),
    "thigh": (220, 168, 136), "shin": (218, 166, 134), "foot": (200, 150, 120),
    "upper_garment": (40, 90, 170), "lower_garment": (150, 60, 50), "dress": (60, 140, 80),
}  # fmt: skip


@dataclass(frozen=True)
class SyntheticBody:
    """An undressed person: canonical keypoints ``(19, 3)`` float32 and an ``HxW`` uint8 part map."""

    pose: str
    keypoints_px: np.ndarray
    labels: np.ndarray
    scale_px: float
    origin_px: tuple[float, float]
    joints: dict[str, np.ndarray] = field(repr=False)
    """Joint positions in body units (x, y), for drawing garments."""

    def part(self, *names: str) -> np.ndarray:
        """``HxW`` bool: pixels showing any of the named parts."""
        return np.isin(self.labels, [LABEL[name] for name in names])


@dataclass(frozen=True)
class DressedBody:
    """A body wearing one garment variant (plus a fixed companion garment for upper and lower)."""

    body: SyntheticBody
    garment: str
    category: str
    image_rgb: np.ndarray
    """``HxWx3`` uint8."""
    labels: np.ndarray
    garment_mask: np.ndarray
    """``HxW`` bool: visible pixels of the variant's garment (the ground truth)."""
    person: np.ndarray
    face: np.ndarray
    hair: np.ndarray
    hands: np.ndarray
    feet: np.ndarray

    @property
    def keypoints_px(self) -> np.ndarray:
        return self.body.keypoints_px

    @property
    def size_wh(self) -> tuple[int, int]:
        return self.labels.shape[1], self.labels.shape[0]

    @property
    def skin(self) -> np.ndarray:
        """``HxW`` bool: visible bare skin other than face, hands and feet (neck, arms, legs, midriff)."""
        return np.isin(self.labels, [LABEL[name] for name in SKIN_PARTS])

    def layers(
        self, garment: bool = True, protected: bool = False, skin: bool = False
    ) -> dict[str, np.ndarray]:
        """Evidence layers as a segmenter would give them: silhouette, optionally garment and body parts."""
        out = {"person": self.person}
        if garment:
            out[f"garment_{self.category}"] = self.garment_mask
        if protected:
            out.update(face=self.face, hair=self.hair, hands=self.hands, feet=self.feet)
        if skin:
            out["skin"] = self.skin
        return out


def make_body(pose: str, width: int = 768, height: int = 1024, scale_px: float = 180.0) -> SyntheticBody:
    """Draw an undressed person in one of :data:`POSES`, centred, head near the top, feet near the bottom."""
    if pose not in POSES:
        raise ValueError(f"unknown pose {pose!r}; choose from {POSES}")
    origin = (width / 2, 0.24 * height)
    joints = _joints(pose)
    painter = _Painter((height, width), origin, scale_px)
    for side in ("left", "right"):
        painter.taper(joints[f"{side}_hip"], joints[f"{side}_knee"], 0.26, 0.16, "thigh")
        painter.taper(joints[f"{side}_knee"], joints[f"{side}_ankle"], 0.16, 0.10, "shin")
        painter.ellipse(_foot_centre(joints, side), (0.11, 0.16), 0.0, "foot")
    painter.polygon(TORSO_OUTLINE, "torso")
    painter.taper((0, -0.45), (0, -0.05), 0.13, 0.13, "neck")
    _draw_head(painter)
    _draw_arms(painter, joints)
    _draw_hands(painter, joints)
    keypoints = np.zeros((NUM_CANONICAL, 3), dtype=np.float32)
    for name, point in joints.items():
        keypoints[J[name], :2] = painter.px(point)
        keypoints[J[name], 2] = 0.9
    return SyntheticBody(pose, keypoints, painter.labels, scale_px, origin, joints)


def dress_body(body: SyntheticBody, garment: str) -> DressedBody:
    """Paint ``garment`` (a name from :data:`GARMENTS`) on ``body``; the masks hold what stays visible."""
    category = CATEGORY_OF.get(garment)
    if category is None:
        raise ValueError(f"unknown garment {garment!r}; choose from {sorted(CATEGORY_OF)}")
    kind, fit = garment.rsplit("_", 1)
    painter = _Painter(body.labels.shape, body.origin_px, body.scale_px, body.labels.copy())
    joints = body.joints
    if category == "upper":
        _lower_garment(painter, joints, "trousers", "tight", "lower_garment")
        top = (kind, fit, "upper_garment")
    elif category == "lower":
        top = ("short_sleeve", "tight", "upper_garment")
    else:
        top = ("sleeveless" if kind == "short_dress" else "short_sleeve", fit, "dress")
    _torso_piece(painter, *top)
    if category == "lower":
        _lower_garment(painter, joints, kind, fit, "lower_garment")
    elif category == "dress":
        _skirt(painter, joints, "short" if kind == "short_dress" else "long", fit, "dress")
    _draw_arms(painter, joints)  # arms hang in front of the garment's body
    _sleeves(painter, joints, *top)
    _draw_hands(painter, joints)
    labels = painter.labels
    own_label = {"upper": "upper_garment", "lower": "lower_garment", "dress": "dress"}[category]
    return DressedBody(
        body=body,
        garment=garment,
        category=category,
        image_rgb=_render(labels),
        labels=labels,
        garment_mask=labels == LABEL[own_label],
        person=labels != LABEL["background"],
        face=labels == LABEL["face"],
        hair=labels == LABEL["hair"],
        hands=labels == LABEL["hand"],
        feet=labels == LABEL["foot"],
    )


class _Painter:
    """Paints body-unit shapes onto a label map, later shapes over earlier ones."""

    def __init__(
        self,
        shape_hw: tuple[int, int],
        origin_px: tuple[float, float],
        scale_px: float,
        labels: np.ndarray | None = None,
    ) -> None:
        self.labels = np.zeros(shape_hw, dtype=np.uint8) if labels is None else labels
        self.origin = np.asarray(origin_px, dtype=np.float64)
        self.scale = float(scale_px)

    def px(self, point) -> np.ndarray:
        """Body units ``(x, y)`` -> image pixels ``(x_px, y_px)``."""
        return self.origin + np.asarray(point, dtype=np.float64) * self.scale

    def _fill(self, points, label: str) -> None:
        pts = np.round(np.asarray([self.px(p) for p in points]) * 16).astype(np.int32)
        cv2.fillPoly(self.labels, [pts], LABEL[label], cv2.LINE_8, 4)

    def polygon(self, points, label: str) -> None:
        self._fill(points, label)

    def taper(self, start, end, radius_start: float, radius_end: float, label: str) -> None:
        """Convex hull of two discs (a capsule whose radius changes along its axis)."""
        angles = np.linspace(0, 2 * np.pi, 48, endpoint=False)
        ring = np.stack([np.cos(angles), np.sin(angles)], axis=1)
        points = np.concatenate(
            [np.asarray(start) + radius_start * ring, np.asarray(end) + radius_end * ring]
        )
        self._fill(cv2.convexHull(points.astype(np.float32))[:, 0, :], label)

    def flare(self, start, end, radius_start: float, half_width_end: float, label: str) -> None:
        """A disc at ``start`` joined to a flat edge across ``end`` (a sleeve or trouser leg with its hem)."""
        start, end = np.asarray(start, dtype=np.float64), np.asarray(end, dtype=np.float64)
        along = _unit(end - start)
        across = np.array([-along[1], along[0]])
        angles = np.linspace(0, 2 * np.pi, 48, endpoint=False)
        ring = start + radius_start * np.stack([np.cos(angles), np.sin(angles)], axis=1)
        points = np.concatenate([ring, [end + across * half_width_end, end - across * half_width_end]])
        self._fill(cv2.convexHull(points.astype(np.float32))[:, 0, :], label)

    def ellipse(self, centre, half_axes, angle_rad: float, label: str) -> None:
        angles = np.linspace(0, 2 * np.pi, 64, endpoint=False)
        local = np.stack([half_axes[0] * np.cos(angles), half_axes[1] * np.sin(angles)], axis=1)
        rotation = np.array([[np.cos(angle_rad), -np.sin(angle_rad)], [np.sin(angle_rad), np.cos(angle_rad)]])
        self._fill(np.asarray(centre) + local @ rotation.T, label)


def _joints(pose: str) -> dict[str, np.ndarray]:
    joints = {
        "nose": (0.0, -0.55), "left_eye": (0.09, -0.68), "right_eye": (-0.09, -0.68),
        "left_ear": (0.24, -0.64), "right_ear": (-0.24, -0.64),
    }  # fmt: skip
    for sign, side, (upper_deg, fore_deg), (knee_x, ankle_x) in zip(
        (1, -1), ("left", "right"), ARM_ANGLES[pose], LEG_X[pose], strict=True
    ):
        shoulder = np.array([sign * SHOULDER[0], SHOULDER[1]])
        elbow = shoulder + UPPER_ARM * _direction(sign, upper_deg)
        if fore_deg is None:  # hand on the hip: the wrist rests on the hip's outer edge
            wrist = np.array([sign * 0.56, 1.30])
        else:
            wrist = elbow + FOREARM * _direction(sign, fore_deg)
        hip = np.array([sign * HIP[0], HIP[1]])
        knee = np.array([knee_x, HIP[1] + THIGH])
        ankle = np.array([ankle_x, HIP[1] + THIGH + SHIN])
        joints.update({f"{side}_shoulder": shoulder, f"{side}_elbow": elbow, f"{side}_wrist": wrist,
                       f"{side}_hip": hip, f"{side}_knee": knee, f"{side}_ankle": ankle})  # fmt: skip
    joints["neck"] = (joints["left_shoulder"] + joints["right_shoulder"]) / 2
    joints["mid_hip"] = (joints["left_hip"] + joints["right_hip"]) / 2
    return {name: np.asarray(point, dtype=np.float64) for name, point in joints.items()}


def _direction(sign: int, degrees: float) -> np.ndarray:
    angle = np.deg2rad(degrees)
    return np.array([sign * np.sin(angle), np.cos(angle)])


def _unit(vector) -> np.ndarray:
    vector = np.asarray(vector, dtype=np.float64)
    return vector / np.linalg.norm(vector)


def _foot_centre(joints, side: str) -> np.ndarray:
    sign = 1 if side == "left" else -1
    return joints[f"{side}_ankle"] + np.array([sign * 0.03, 0.15])


def _draw_head(painter: _Painter) -> None:
    painter.ellipse((0, -0.80), (0.30, 0.36), 0.0, "hair")
    painter.ellipse((0, -0.72), (0.27, 0.38), 0.0, "head")
    painter.polygon([(-0.30, -1.17), (0.30, -1.17), (0.30, -0.80), (0.0, -0.90), (-0.30, -0.80)], "hair")
    painter.ellipse((0, -0.63), (0.21, 0.29), 0.0, "face")


def _draw_arms(painter: _Painter, joints) -> None:
    for side in ("left", "right"):
        shoulder, elbow, wrist = (joints[f"{side}_{j}"] for j in ("shoulder", "elbow", "wrist"))
        painter.taper(shoulder, elbow, 0.15, 0.115, "upper_arm")
        painter.taper(elbow, wrist, 0.115, 0.085, "forearm")


def _draw_hands(painter: _Painter, joints) -> None:
    for side in ("left", "right"):
        elbow, wrist = joints[f"{side}_elbow"], joints[f"{side}_wrist"]
        along = _unit(wrist - elbow)
        angle = float(np.arctan2(along[1], along[0])) - np.pi / 2
        painter.ellipse(wrist + along * 0.26, (0.12, 0.27), angle, "hand")


def _torso_piece(painter: _Painter, kind: str, fit: str, label: str) -> None:
    loose = fit == "loose"
    side_out, waist_out, hem_out, hem_y = (0.10, 0.16, 0.20, 1.75) if loose else (0.03, 0.03, 0.03, 1.62)
    if label == "dress":  # the skirt takes over at the waist
        hem_out, hem_y = waist_out - 0.14, 1.10
    shoulder_x = 0.45 if kind == "sleeveless" else 0.58
    outline = [(-0.20, -0.20), (0.0, -0.08), (0.20, -0.20), (shoulder_x, -0.06), (0.55 + side_out, 0.35),
               (0.42 + waist_out, 1.05), (0.56 + hem_out, hem_y), (-0.56 - hem_out, hem_y),
               (-0.42 - waist_out, 1.05), (-0.55 - side_out, 0.35), (-shoulder_x, -0.06)]  # fmt: skip
    painter.polygon(outline, label)


def _sleeves(painter: _Painter, joints, kind: str, fit: str, label: str) -> None:
    if kind == "sleeveless":
        return
    loose = fit == "loose"
    for side in ("left", "right"):
        shoulder, elbow, wrist = (joints[f"{side}_{j}"] for j in ("shoulder", "elbow", "wrist"))
        if kind == "short_sleeve":
            end = shoulder + 0.45 * (elbow - shoulder)
            painter.flare(shoulder, end, 0.18 + 0.05 * loose, 0.16 + 0.14 * loose, label)
        else:
            painter.taper(shoulder, elbow, 0.18 + 0.05 * loose, 0.145 + 0.10 * loose, label)
            painter.flare(elbow, wrist, 0.145 + 0.10 * loose, 0.115 + 0.15 * loose, label)


def _lower_garment(painter: _Painter, joints, kind: str, fit: str, label: str) -> None:
    if kind in ("knee_skirt", "long_skirt"):
        _skirt(painter, joints, "knee" if kind == "knee_skirt" else "long", fit, label)
        return
    loose = fit == "loose"
    painter.polygon([(-0.45, 1.15), (0.45, 1.15), (0.58, 1.55), (0.0, 1.95), (-0.58, 1.55)], label)
    for side in ("left", "right"):
        hip, knee, ankle = (joints[f"{side}_{j}"] for j in ("hip", "knee", "ankle"))
        if kind == "shorts":
            end = hip + (0.45 + 0.05 * loose) * (knee - hip)
            painter.flare(hip, end, 0.29 + 0.04 * loose, 0.24 + 0.12 * loose, label)
        else:
            hem = ankle + _unit(ankle - knee) * (0.05 if loose else 0.02)
            painter.taper(hip, knee, 0.29 + 0.04 * loose, 0.19 + 0.12 * loose, label)
            painter.flare(knee, hem, 0.19 + 0.12 * loose, 0.13 + 0.16 * loose, label)


def _skirt(painter: _Painter, joints, length: str, fit: str, label: str) -> None:
    loose = fit == "loose"
    lk, rk, la, ra = (joints[name] for name in ("left_knee", "right_knee", "left_ankle", "right_ankle"))
    if length == "short":
        hem_y, left, right, half = 2.15, np.zeros(2), np.zeros(2), (0.90 if loose else 0.68)
    elif length == "knee":
        hem_y, left, right, half = lk[1] + 0.05, lk, rk, (0.85 if loose else 0.56)
    else:
        hem_y, left, right, half = la[1] + 0.02, la, ra, (0.95 if loose else 0.50)
    centre_x = (left[0] + right[0]) / 2
    half = max(half, abs(left[0] - right[0]) / 2 + 0.22)  # a hem always goes round both legs
    top = 1.15 if label != "dress" else 1.0
    outline = [(-0.45, top), (0.45, top), (0.60, 1.55), (centre_x + half, hem_y), (centre_x - half, hem_y),
               (-0.60, 1.55)]  # fmt: skip
    painter.polygon(outline, label)


def _render(labels: np.ndarray) -> np.ndarray:
    palette = np.array([COLOURS[name] for name in PARTS], dtype=np.uint8)
    image = palette[labels]
    rows, cols = np.indices(labels.shape)
    texture = ((rows // 6 + cols // 6) % 2).astype(np.int16) * 12 - 6
    return np.clip(image.astype(np.int16) + texture[..., None], 0, 255).astype(np.uint8)


def pose33_landmarks(body: SyntheticBody) -> np.ndarray:
    """MediaPipe-style ``(33, 3)`` landmarks of a synthetic body: its COCO joints, mouth, heels and toes."""
    kp = body.keypoints_px
    points = np.zeros((33, 3), dtype=np.float32)
    for name in _SHARED_JOINTS:
        points[P[name]] = kp[J[name]]
    s = body.scale_px
    nose = kp[J["nose"], :2]
    points[P["mouth_left"]] = (*(nose + np.array([0.06, 0.12]) * s), 0.9)
    points[P["mouth_right"]] = (*(nose + np.array([-0.06, 0.12]) * s), 0.9)
    for side in ("left", "right"):
        ankle = kp[J[f"{side}_ankle"], :2]
        points[P[f"{side}_heel"]] = (*(ankle + np.array([0.0, 0.12]) * s), 0.9)
        points[P[f"{side}_foot_index"]] = (*(ankle + np.array([0.0, 0.30]) * s), 0.9)
    return points


def landmark_feet(body: SyntheticBody, person: np.ndarray) -> np.ndarray:
    """The offline recipe's ``feet`` layer for this body, from its heel and toe landmarks and ``person``."""
    config = LandmarkSegmentConfig()
    return feet_layer(
        body.labels.shape,
        pose33_landmarks(body),
        body.scale_px,
        person,
        margin_rel=config.feet_margin_rel,
        reach_rel=config.feet_reach_rel,
        ankle_drop=config.feet_ankle_drop,
        min_visibility=config.min_visibility,
    )


_SHARED_JOINTS = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    *(
        f"{side}_{joint}"
        for joint in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")
        for side in ("left", "right")
    ),
)
"""The COCO joints that MediaPipe's 33 landmarks share by name."""
