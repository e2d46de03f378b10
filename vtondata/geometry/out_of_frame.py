"""Joints the mask needs that lie outside the photo: placed from the body frame instead of rejecting.

Half-body catalogue photos (VITON-HD among them) often end at the waist: the
hips are below the bottom edge, yet the upper garment is fully in frame and
the photo is exactly what an upper-body dataset wants. A joint the category
needs is therefore placed, not demanded, when it lies outside the frame: at
the position the pose model predicted for it when that is outside (MediaPipe
predicts off-frame joints), else at its typical place relative to the body
(the body-frame estimate below), provided that estimate is outside the frame,
and in both cases only when it lies close to the frame
(:data:`MAX_OUTSIDE_PER_SCALE`), so the garment is still in the photo.
A joint whose place is inside the frame but that was not detected still
rejects: something hides it, and the mask would be guessed.

Typical places, in units of the body scale ``s`` (shoulder width between the
shoulder joints), are medians over the 27 photos of the shared test set
(MediaPipe and OpenPose keypoints, full and half body): neck to mid-hip 1.46 s,
hip joints 0.60 s apart, upper arm 0.92 s, thigh 1.19 s. Limbs are placed
hanging along the body axis.
"""

from __future__ import annotations

import numpy as np

from vtondata.geometry.keypoints import J
from vtondata.geometry.regions import points_in_box

PLACEABLE: dict[str, tuple[str, ...]] = {
    "upper": ("left_hip", "right_hip", "left_elbow", "right_elbow"),
    "dress": ("left_elbow", "right_elbow"),
    "lower": (),
}
"""Joints each category may have outside the frame: those whose absence leaves the garment in
frame. A half-body photo cut above the hips still shows the whole upper garment; a dress or
lower garment needs its hips and knees in the photo."""

MAX_OUTSIDE_PER_SCALE = 0.4
"""A joint is placed only when it lies at most this far outside the frame, / s: the garment's
region must be (nearly) all in the photo. A head-and-shoulders crop, whose hips would lie a whole
torso below the edge, still rejects."""

TORSO_PER_SCALE = 1.46
HIP_WIDTH_PER_SCALE = 0.60
UPPER_ARM_PER_SCALE = 0.92
THIGH_PER_SCALE = 1.19

HIPS = ("left_hip", "right_hip")
_DERIVED = (("neck", ("left_shoulder", "right_shoulder")), ("mid_hip", HIPS))
_PARENT = {
    "left_elbow": ("left_shoulder", UPPER_ARM_PER_SCALE),
    "right_elbow": ("right_shoulder", UPPER_ARM_PER_SCALE),
    "left_knee": ("left_hip", THIGH_PER_SCALE),
    "right_knee": ("right_hip", THIGH_PER_SCALE),
}


def place_out_of_frame(
    keypoints_px: np.ndarray,
    frame_xyxy: tuple[int, int, int, int],
    needed: tuple[str, ...],
    min_confidence: float,
) -> tuple[np.ndarray, list[str]]:
    """Copy of ``keypoints_px`` with needed joints that lie outside the frame placed, and their names.

    ``frame_xyxy`` is the photo's own area in pixels of the stored image
    (``x0, y0, x1, y1``, exclusive ends): the whole image, or less where
    ingest added letterbox bars. ``needed`` lists the joints that may be
    placed (:data:`PLACEABLE` by category). ``keypoints_px`` is canonical
    ``(19, 3)``; a joint counts as detected when
    its confidence is above ``min_confidence``. A placed joint gets confidence
    ``min_confidence`` plus a small step (trusted, but the least trusted of
    all), so later code treats it as detected. Joints are placed hips first,
    then elbows and knees (which hang from them); one whose place is inside
    the frame is left as it was, for the caller to reject.
    """
    kp = np.array(keypoints_px, dtype=np.float32, copy=True)
    placed: list[str] = []
    trusted_conf = np.float32(min_confidence + 1e-3)

    scale = _shoulder_width(kp, min_confidence)
    order = [n for n in HIPS if n in needed] + [n for n in _PARENT if n in needed]
    if scale is None:
        return kp, placed
    for name in order:
        if _trusted(kp, name, min_confidence):
            continue
        guess = _place_outside(kp, name, frame_xyxy, scale, min_confidence)
        if guess is not None and _distance_outside(guess, frame_xyxy) <= MAX_OUTSIDE_PER_SCALE * scale:
            kp[J[name]] = (guess[0], guess[1], trusted_conf)
            placed.append(name)
    for derived, (a, b) in _DERIVED:
        if a in placed or b in placed:
            kp[J[derived]] = ((kp[J[a], 0] + kp[J[b], 0]) / 2, (kp[J[a], 1] + kp[J[b], 1]) / 2, trusted_conf)
    return kp, placed


def why_missing(
    keypoints_px: np.ndarray,
    name: str,
    frame_xyxy: tuple[int, int, int, int],
    needed: tuple[str, ...],
    min_confidence: float,
) -> str:
    """Why :func:`place_out_of_frame` left the required joint ``name`` undetected, in words for a
    rejection message: not detected in the photo (hidden), outside it but not a joint the category
    places (``needed``), or outside it too far for the garment to be in the photo (with how far,
    / s). Where the joint lies is the model's own off-frame position, else its body estimate."""
    kp = np.asarray(keypoints_px, dtype=np.float32)
    scale = _shoulder_width(kp, min_confidence)
    where = _place_outside(kp, name, frame_xyxy, scale, min_confidence)
    if where is None:
        return "not detected in the photo"
    if name not in needed:
        return "outside the photo"
    if scale is None:
        return "outside the photo, and without both shoulders nothing is placed"
    past = _distance_outside(where, frame_xyxy) / scale
    return (
        f"outside the photo, {past:.1f} shoulder widths past its edge "
        f"(joints up to {MAX_OUTSIDE_PER_SCALE} outside are placed)"
    )


def _place_outside(
    kp: np.ndarray,
    name: str,
    frame_xyxy: tuple[int, int, int, int],
    scale: float | None,
    min_confidence: float,
) -> np.ndarray | None:
    """Where ``name`` lies outside the frame: the model's own position when that is outside, else
    its body estimate when that is outside (hips, elbows and knees, given the shoulder width
    ``scale``); ``None`` when neither lies outside."""
    guess = _predicted_outside(kp[J[name]], frame_xyxy)
    if guess is None and scale is not None and (name in HIPS or name in _PARENT):
        estimate = _body_estimate(kp, name, scale, min_confidence)
        if estimate is not None and _outside(estimate, frame_xyxy):
            guess = estimate
    return guess


def _trusted(kp: np.ndarray, name: str, min_confidence: float) -> bool:
    return bool(kp[J[name], 2] > min_confidence)


def _shoulder_width(kp: np.ndarray, min_confidence: float) -> float | None:
    if not (_trusted(kp, "left_shoulder", min_confidence) and _trusted(kp, "right_shoulder", min_confidence)):
        return None
    width = float(np.linalg.norm(kp[J["left_shoulder"], :2] - kp[J["right_shoulder"], :2]))
    return width if width > 1e-3 else None


def _down_from_shoulders(kp: np.ndarray) -> np.ndarray:
    """Unit vector perpendicular to the shoulder line, pointing down the image."""
    across = kp[J["left_shoulder"], :2].astype(np.float64) - kp[J["right_shoulder"], :2]
    down = np.array([-across[1], across[0]])
    down /= np.linalg.norm(down)
    return down if down[1] >= 0 else -down


def _body_estimate(kp: np.ndarray, name: str, scale: float, min_confidence: float) -> np.ndarray | None:
    """Where ``name`` typically lies given the trusted joints it hangs from, or ``None``."""
    down = _down_from_shoulders(kp)
    if name in ("left_hip", "right_hip"):
        left, right = kp[J["left_shoulder"], :2].astype(np.float64), kp[J["right_shoulder"], :2]
        neck = (left + right) / 2
        side = (left - right) / np.linalg.norm(left - right)
        sign = 1.0 if name == "left_hip" else -1.0
        return neck + down * TORSO_PER_SCALE * scale + side * sign * HIP_WIDTH_PER_SCALE * scale / 2
    parent, length = _PARENT[name]
    if not _trusted(kp, parent, min_confidence):
        return None
    return kp[J[parent], :2].astype(np.float64) + down * length * scale


def _predicted_outside(row: np.ndarray, frame_xyxy: tuple[int, int, int, int]) -> np.ndarray | None:
    """The model's own position for an undetected joint, when it has one outside the frame."""
    xy = row[:2].astype(np.float64)
    if not np.all(np.isfinite(xy)) or (xy[0] == 0 and xy[1] == 0):
        return None
    return xy if _outside(xy, frame_xyxy) else None


def _outside(xy: np.ndarray, frame_xyxy: tuple[int, int, int, int]) -> bool:
    return not bool(points_in_box(np.asarray(xy)[None], frame_xyxy)[0])


def _distance_outside(xy: np.ndarray, frame_xyxy: tuple[int, int, int, int]) -> float:
    """How far ``xy`` lies outside the frame box, in pixels (0 inside)."""
    x0, y0, x1, y1 = frame_xyxy
    dx = max(x0 - xy[0], 0.0, xy[0] - (x1 - 1))
    dy = max(y0 - xy[1], 0.0, xy[1] - (y1 - 1))
    return float(np.hypot(dx, dy))
