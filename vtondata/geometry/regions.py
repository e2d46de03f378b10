"""Body regions drawn from pose: limb capsules, torso and hip-leg regions, protected parts.

Every region is a list of convex polygons, ``(N, 2)`` float32 ``(x_px, y_px)``,
so the geometry stays testable without pixels; :func:`fill_polygons` rasterises
them. Inputs are canonical keypoints ``(19, 3)`` ``(x_px, y_px, confidence)``
where confidence 0 means "not trusted" (see ``vtondata.geometry.agnostic``,
which zeroes joints under the recipe's confidence and extrapolates wrists and
ankles before calling these). Lengths come as multiples of the body scale
``s`` so that one parameter set fits every image size.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import cv2
import numpy as np

from vtondata.config.mask import LegParams, ProtectParams, TorsoParams
from vtondata.geometry.keypoints import J, body_scale_px

ARM_CHAINS = (("left_shoulder", "left_elbow", "left_wrist"), ("right_shoulder", "right_elbow", "right_wrist"))
LEG_CHAINS = (("left_hip", "left_knee", "left_ankle"), ("right_hip", "right_knee", "right_ankle"))
FACE_JOINTS = ("nose", "left_eye", "right_eye", "left_ear", "right_ear")

FOREARM_PER_UPPER_ARM = 0.79
"""Forearm / upper-arm length (Drillis & Contini segment table: 0.146 H / 0.186 H)."""
SHANK_PER_THIGH = 1.0
"""Shank / thigh length (Drillis & Contini: 0.246 H / 0.245 H)."""
SCALE_PER_THIGH = 0.8
"""Shoulder width / hip-knee length, the body-scale fallback when a shoulder is missing."""

_SHIFT = 4  # OpenCV sub-pixel bits: coordinates are drawn at 1/16 px.
_CIRCLE = np.linspace(0.0, 2.0 * np.pi, 32, endpoint=False)


@dataclass(frozen=True)
class BodyFrame:
    """Where the body stands and how big it is.

    ``origin_px``: shoulder midpoint (else mid-hip), ``(x, y)`` float64;
    ``down``: unit vector towards the feet; ``across``: unit vector
    perpendicular to it; ``scale_px``: the body scale ``s``.
    """

    origin_px: np.ndarray
    down: np.ndarray
    across: np.ndarray
    scale_px: float

    def outward(self, point_px: np.ndarray, centre_px: np.ndarray) -> np.ndarray:
        """Unit vector along ``across`` pointing from ``centre_px`` towards ``point_px``'s side."""
        side = 1.0 if float(np.dot(point_px - centre_px, self.across)) >= 0 else -1.0
        return side * self.across


def _has(keypoints_px: np.ndarray, *names: str) -> bool:
    """True when every named joint has a confidence above 0."""
    return all(keypoints_px[J[name], 2] > 0 for name in names)


def _xy(keypoints_px: np.ndarray, name: str) -> np.ndarray:
    """``(x, y)`` float64 of a joint."""
    return keypoints_px[J[name], :2].astype(np.float64)


def body_frame(keypoints_px: np.ndarray) -> BodyFrame:
    """The body axis (neck to mid-hip, else mid-hip to mid-knee, else the image's vertical) and scale.

    Raises ``ValueError`` when neither shoulders nor hips give a scale.
    """
    kp = np.asarray(keypoints_px, dtype=np.float32)
    scale = body_scale_px(kp)
    if scale <= 0 and _has(kp, "left_hip", "right_hip", "left_knee", "right_knee"):
        thighs = [
            np.linalg.norm(_xy(kp, f"{side}_knee") - _xy(kp, f"{side}_hip")) for side in ("left", "right")
        ]
        scale = SCALE_PER_THIGH * float(np.mean(thighs))
    if scale <= 0:
        raise ValueError("no body scale: neither both shoulders nor hips and knees are trusted")
    shoulders = _has(kp, "left_shoulder", "right_shoulder")
    hips = _has(kp, "left_hip", "right_hip")
    neck = (_xy(kp, "left_shoulder") + _xy(kp, "right_shoulder")) / 2 if shoulders else None
    mid_hip = (_xy(kp, "left_hip") + _xy(kp, "right_hip")) / 2 if hips else None
    down = np.array([0.0, 1.0])
    if neck is not None and mid_hip is not None:
        down = mid_hip - neck
    elif mid_hip is not None and _has(kp, "left_knee", "right_knee"):
        down = (_xy(kp, "left_knee") + _xy(kp, "right_knee")) / 2 - mid_hip
    norm = float(np.linalg.norm(down))
    down = down / norm if norm > 1e-6 else np.array([0.0, 1.0])
    origin = neck if neck is not None else mid_hip
    if origin is None:
        raise ValueError("no body origin: neither both shoulders nor both hips are trusted")
    return BodyFrame(origin, down, np.array([down[1], -down[0]]), scale)


def complete_limb_ends(keypoints_px: np.ndarray) -> np.ndarray:
    """Copy of ``keypoints_px`` with untrusted wrists and ankles extrapolated from their limb.

    A wrist continues the shoulder->elbow line by 0.79 of its length, an ankle
    the hip->knee line by 1.0 (segment ratios above); the new joint takes the
    lower confidence of its two parents. Joints whose parents are untrusted stay 0.
    """
    out = np.array(keypoints_px, dtype=np.float32, copy=True)
    for chains, ratio in ((ARM_CHAINS, FOREARM_PER_UPPER_ARM), (LEG_CHAINS, SHANK_PER_THIGH)):
        for root, middle, end in chains:
            if out[J[end], 2] > 0 or not _has(out, root, middle):
                continue
            root_xy, middle_xy = out[J[root], :2], out[J[middle], :2]
            out[J[end], :2] = middle_xy + ratio * (middle_xy - root_xy)
            out[J[end], 2] = min(out[J[root], 2], out[J[middle], 2])
    return out


def capsule_polygon(start_px: np.ndarray, end_px: np.ndarray, radius_px: float) -> np.ndarray:
    """Convex hull of two discs of ``radius_px`` centred on ``start_px`` and ``end_px`` ``(x, y)``."""
    ring = np.stack([np.cos(_CIRCLE), np.sin(_CIRCLE)], axis=1) * radius_px
    points = np.concatenate([np.asarray(start_px) + ring, np.asarray(end_px) + ring]).astype(np.float32)
    return cv2.convexHull(points)[:, 0, :]


def ellipse_polygon(centre_px: np.ndarray, half_axes_px: tuple[float, float], frame: BodyFrame) -> np.ndarray:
    """Ellipse with half axes ``(along across, along down)`` in pixels, aligned with the body frame."""
    a, b = half_axes_px
    offsets = np.outer(a * np.cos(_CIRCLE), frame.across) + np.outer(b * np.sin(_CIRCLE), frame.down)
    return (np.asarray(centre_px) + offsets).astype(np.float32)


def hull(points_px: np.ndarray | list[np.ndarray]) -> np.ndarray:
    return cv2.convexHull(np.ascontiguousarray(points_px, dtype=np.float32))[:, 0, :]


def disc_hull(points_px: np.ndarray, radius_px: float) -> np.ndarray:
    """Convex hull of discs of ``radius_px`` centred on each ``(x, y)`` point: the points' hull, grown."""
    ring = np.stack([np.cos(_CIRCLE), np.sin(_CIRCLE)], axis=1) * radius_px
    points = np.asarray(points_px, dtype=np.float64)[:, None, :2] + ring[None]
    return hull(points.reshape(-1, 2))


def fill_polygons(shape_hw: tuple[int, int], polygons: list[np.ndarray], scale: float = 1.0) -> np.ndarray:
    """Rasterise convex polygons ``(x_px, y_px)`` times ``scale`` onto an ``HxW`` bool canvas."""
    canvas = np.zeros(shape_hw, dtype=np.uint8)
    factor = scale * (1 << _SHIFT)
    for polygon in polygons:
        # Pixel centres sit at integer coordinates in OpenCV; at a coarser scale the
        # half-pixel offset keeps cell centres over the pixels they pool.
        points = (np.asarray(polygon, dtype=np.float64) + 0.5) * factor - 0.5 * (1 << _SHIFT)
        cv2.fillConvexPoly(canvas, np.round(points).astype(np.int32), 1, cv2.LINE_8, _SHIFT)
    return canvas.astype(bool)


def limb_capsules(keypoints_px: np.ndarray, chains: tuple[tuple[str, ...], ...], width_px: float) -> list:
    """One capsule of diameter ``width_px`` per trusted segment of each joint chain."""
    polygons = []
    for chain in chains:
        for a, b in itertools.pairwise(chain):
            if _has(keypoints_px, a, b):
                polygons.append(capsule_polygon(_xy(keypoints_px, a), _xy(keypoints_px, b), width_px / 2))
    return polygons


def torso_region(keypoints_px: np.ndarray, frame: BodyFrame, params: TorsoParams) -> np.ndarray:
    """Convex region from the neck base over both shoulders down to below the hip line."""
    s, up = frame.scale_px, -frame.down
    neck = frame.origin_px
    points = [
        neck + frame.across * params.neck_half_width_rel * s + up * params.neckline_lift_rel * s,
        neck - frame.across * params.neck_half_width_rel * s + up * params.neckline_lift_rel * s,
    ]
    for name in ("left_shoulder", "right_shoulder"):
        shoulder = _xy(keypoints_px, name)
        outward = frame.outward(shoulder, neck) * params.shoulder_out_rel * s
        points.append(shoulder + outward + up * params.shoulder_lift_rel * s)
    for name in ("left_hip", "right_hip"):
        hip = _xy(keypoints_px, name)
        side = hip + frame.outward(hip, _mid_hip(keypoints_px)) * params.hip_out_rel * s
        points += [side, side + frame.down * params.below_hip_rel * s]
    return hull(points)


def hip_leg_region(keypoints_px: np.ndarray, frame: BodyFrame, params: LegParams) -> np.ndarray:
    """Convex region from the waist to the ankles, gap between the legs included, hem room at the bottom."""
    s = frame.scale_px
    mid_hip = _mid_hip(keypoints_px)
    half_leg = params.width_rel * s / 2
    points = []
    for name in ("left_hip", "right_hip"):
        hip = _xy(keypoints_px, name)
        side = hip + frame.outward(hip, mid_hip) * params.hip_out_rel * s
        points += [side, side - frame.down * params.waist_lift_rel * s]
    for name in ("left_knee", "right_knee", "left_ankle", "right_ankle"):
        joint = _xy(keypoints_px, name)
        points += [joint + frame.across * half_leg, joint - frame.across * half_leg]
    mid_ankle = (_xy(keypoints_px, "left_ankle") + _xy(keypoints_px, "right_ankle")) / 2
    hem = frame.across * params.hem_half_width_rel * s
    points += [mid_ankle + hem, mid_ankle - hem]
    return hull(points)


def extent_along(frame: BodyFrame, polygons: list[np.ndarray]) -> tuple[float, float]:
    """Lowest and highest signed distance, in pixels along ``frame.down`` from the origin, of the polygons."""
    along = (np.concatenate(polygons).astype(np.float64) - frame.origin_px) @ frame.down
    return float(along.min()), float(along.max())


def frame_coordinates(
    shape_hw: tuple[int, int], frame: BodyFrame, scale: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Each pixel's signed distance from the body origin along ``frame.down`` and ``frame.across``.

    Two ``HxW`` float32 arrays in pixels of the full image, for a grid whose
    pixels are ``1 / scale`` of it (``scale=0.25`` samples every fourth pixel).
    """
    height, width = shape_hw
    xs = (np.arange(width, dtype=np.float32) + 0.5) / np.float32(scale) - 0.5 - np.float32(frame.origin_px[0])
    ys = (
        (np.arange(height, dtype=np.float32) + 0.5) / np.float32(scale) - 0.5 - np.float32(frame.origin_px[1])
    )
    down = ys[:, None] * np.float32(frame.down[1]) + xs[None, :] * np.float32(frame.down[0])
    across = ys[:, None] * np.float32(frame.across[1]) + xs[None, :] * np.float32(frame.across[0])
    return down, across


def band_polygon(frame: BodyFrame, top_px: float, bottom_px: float, size_wh: tuple[int, int]) -> np.ndarray:
    """The slab across the image between two distances along the body axis (see :func:`extent_along`)."""
    side = frame.across * 2.0 * float(sum(size_wh))
    top = frame.origin_px + frame.down * top_px
    bottom = frame.origin_px + frame.down * bottom_px
    return np.array([top - side, top + side, bottom + side, bottom - side], dtype=np.float32)


def head_region(keypoints_px: np.ndarray, frame: BodyFrame, params: ProtectParams, grow_px: float) -> list:
    """Head ellipse from the trusted face keypoints (else above the shoulders), grown by ``grow_px``."""
    s = frame.scale_px
    face = [_xy(keypoints_px, name) for name in FACE_JOINTS if _has(keypoints_px, name)]
    if face:
        centre = np.mean(face, axis=0) - frame.down * params.head_lift_rel * s
    elif _has(keypoints_px, "left_shoulder", "right_shoulder"):
        centre = frame.origin_px - frame.down * params.head_above_neck_rel * s
    else:
        return []
    axes = (params.head_half_width_rel * s + grow_px, params.head_half_height_rel * s + grow_px)
    return [ellipse_polygon(centre, axes, frame)]


def hand_regions(keypoints_px: np.ndarray, frame: BodyFrame, params: ProtectParams, grow_px: float) -> list:
    """Hands past each trusted wrist along elbow->wrist, grown by ``grow_px``."""
    shape = (params.hand_start_rel, params.hand_length_rel, params.hand_half_width_rel)
    return _limb_ends(keypoints_px, frame.scale_px, ("elbow", "wrist"), shape, grow_px)


def foot_regions(keypoints_px: np.ndarray, frame: BodyFrame, params: ProtectParams, grow_px: float) -> list:
    """Feet past each trusted ankle along knee->ankle, grown by ``grow_px``."""
    shape = (params.foot_start_rel, params.foot_length_rel, params.foot_half_width_rel)
    return _limb_ends(keypoints_px, frame.scale_px, ("knee", "ankle"), shape, grow_px)


def _limb_ends(
    keypoints_px: np.ndarray,
    s: float,
    joints: tuple[str, str],
    shape_rel: tuple[float, float, float],
    grow_px: float,
) -> list:
    """An ellipse along the limb from the start line on, joined to a straight edge across that line.

    ``shape_rel`` is ``(start, length, half width)`` / s. The edge spans 0.8 of
    the ellipse's width: a hand or foot is nearly full width right past its
    joint (and photos place the joint off-centre), whereas the ellipse alone
    would leave those pixels to the mask.
    """
    start_rel, length_rel, half_width_rel = shape_rel
    half_length, half_width = length_rel * s / 2 + grow_px, half_width_rel * s + grow_px
    polygons = []
    for side in ("left", "right"):
        parent, end = f"{side}_{joints[0]}", f"{side}_{joints[1]}"
        if not _has(keypoints_px, parent, end):
            continue
        direction = _xy(keypoints_px, end) - _xy(keypoints_px, parent)
        norm = float(np.linalg.norm(direction))
        if norm < 1e-6:
            continue
        direction /= norm
        across = np.array([-direction[1], direction[0]])
        start = _xy(keypoints_px, end) + direction * (start_rel * s - grow_px)
        centre = start + direction * half_length
        ring = (
            centre
            + np.outer(half_width * np.cos(_CIRCLE), across)
            + np.outer(half_length * np.sin(_CIRCLE), direction)
        )
        edge = 0.8 * half_width
        polygons.append(hull([start + across * edge, start - across * edge, *ring]))
    return polygons


def mid_hip_along(keypoints_px: np.ndarray, frame: BodyFrame) -> float:
    """Distance in pixels of the hip line below the origin, along ``frame.down``."""
    return float((_mid_hip(keypoints_px) - frame.origin_px) @ frame.down)


def _mid_hip(keypoints_px: np.ndarray) -> np.ndarray:
    return (_xy(keypoints_px, "left_hip") + _xy(keypoints_px, "right_hip")) / 2


def points_in_box(points_xy: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """Per row of ``points_xy`` (``Nx2`` or more columns, x and y first): whether it lies in
    ``box`` (``(x0, y0, x1, y1)``, exclusive ends)."""
    x0, y0, x1, y1 = box
    xs, ys = points_xy[:, 0], points_xy[:, 1]
    return (xs >= x0) & (xs < x1) & (ys >= y0) & (ys < y1)


def components_touching(cells: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """The 8-connected components of ``cells`` (``HxW`` bool) that hold a ``seeds`` pixel."""
    count, components = cv2.connectedComponents(cells.view(np.uint8), connectivity=8)
    if count <= 1:
        return cells
    holding = np.unique(components[seeds & cells])
    return np.isin(components, holding[holding > 0])


def fill_holes(mask: np.ndarray) -> np.ndarray:
    """``mask`` (``HxW`` bool) with every background region that does not reach its border
    (4-connected) filled."""
    flood = np.pad(mask.astype(np.uint8), 1)
    cv2.floodFill(flood, None, (0, 0), 1)
    return mask | (flood[1:-1, 1:-1] == 0)


def inside_box(layer: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """``layer`` (``HxW`` bool) with every pixel outside ``box`` (``(x0, y0, x1, y1)``) cleared."""
    x0, y0, x1, y1 = box
    clipped = np.zeros(layer.shape, dtype=bool)
    clipped[y0:y1, x0:x1] = np.asarray(layer, dtype=bool)[y0:y1, x0:x1]
    return clipped
