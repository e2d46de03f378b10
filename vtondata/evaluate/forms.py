"""What form the old garment had, and what a mask or the skin around it shows, as features.

Form leakage (see :mod:`vtondata.evaluate.leakage`) asks whether a classifier
can tell the old garment's form from the mask or from the limb skin left
visible outside it. Forms are binary per category: upper ``long_sleeve``
(positive) versus ``short_sleeve`` (sleeveless included); lower ``skirt``
(positive) versus ``pants`` (shorts included). Dress has no form pair.

Features are pose-normalised, so that differences between people (size,
position in the frame, tilt) do not pass for form: the image is resampled
into the body frame (origin at the shoulder midpoint, axes along and across
the body, unit the shoulder width ``s``), over a window from 2.5 s left to
2.5 s right and from 1.5 s above the shoulders to 5 s below, at
:data:`CELLS_PER_SCALE` cells per ``s``. Each cell holds the covered share.
"""

from __future__ import annotations

import cv2
import numpy as np

from vtondata.geometry import regions
from vtondata.geometry.keypoints import J
from vtondata.geometry.parsing import LABEL_SCHEMES
from vtondata.sample import Category

FORMS: dict[Category, tuple[str, str]] = {
    Category.UPPER: ("short_sleeve", "long_sleeve"),
    Category.LOWER: ("pants", "skirt"),
}
"""Per category: (negative form, positive form)."""

WINDOW_REL = (-2.5, 2.5, -1.5, 5.0)
"""Feature window in body units: (across min, across max, along min, along max)."""
CELLS_PER_SCALE = 4
_SUPERSAMPLE = 4

LONG_SLEEVE_MAX_FOREARM_SKIN_REL = 0.05
"""Visible forearm skin (both arms, between elbow and wrist) below this x s^2 means long sleeves;
a bare forearm shows about 0.15 s^2 per arm."""
FOREARM_HALF_WIDTH_REL = 0.3
"""Skin counts for an arm within this x s of its elbow->wrist line (so the other arm is not counted)."""


def body_grid(layer: np.ndarray, keypoints_px: np.ndarray, min_confidence: float = 0.2) -> np.ndarray:
    """``HxW`` bool -> 2-D float32 grid of covered shares in the body frame (see the module doc).

    Raises ``ValueError`` when the keypoints give no body frame.
    """
    frame = trusted_frame(keypoints_px, min_confidence)
    x0, x1, y0, y1 = WINDOW_REL
    fine = CELLS_PER_SCALE * _SUPERSAMPLE
    width, height = round((x1 - x0) * fine), round((y1 - y0) * fine)
    step = frame.scale_px / fine
    start = frame.origin_px + frame.scale_px * (x0 * frame.across + y0 * frame.down)
    start = start + 0.5 * step * (frame.across + frame.down)
    to_image = np.array(
        [
            [frame.across[0] * step, frame.down[0] * step, start[0]],
            [frame.across[1] * step, frame.down[1] * step, start[1]],
        ],
        dtype=np.float64,
    )
    sampled = cv2.warpAffine(
        np.asarray(layer, dtype=np.float32),
        to_image,
        (width, height),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0.0,
    )
    return cv2.resize(sampled, (width // _SUPERSAMPLE, height // _SUPERSAMPLE), interpolation=cv2.INTER_AREA)


def trusted_frame(keypoints_px: np.ndarray, min_confidence: float = 0.2) -> regions.BodyFrame:
    """The body frame of the joints above ``min_confidence``; ``ValueError`` when there is none."""
    kp = np.array(keypoints_px, dtype=np.float32, copy=True)
    kp[kp[:, 2] <= min_confidence, 2] = 0.0
    return regions.body_frame(kp)


def shape_features(layer: np.ndarray, keypoints_px: np.ndarray, min_confidence: float = 0.2) -> np.ndarray:
    """1-D float32 features of a binary layer: its body grid, flattened, then its area / s^2."""
    grid = body_grid(layer, keypoints_px, min_confidence)
    area_rel = np.count_nonzero(layer) / trusted_frame(keypoints_px, min_confidence).scale_px ** 2
    return np.append(grid.ravel(), np.float32(area_rel)).astype(np.float32)


def form_from_label_map(
    label_map: np.ndarray,
    scheme: str,
    arms: np.ndarray,
    keypoints_px: np.ndarray,
    category: Category | str,
    min_confidence: float = 0.2,
) -> str | None:
    """The old garment's form read from a parse map, or ``None`` when it cannot be told.

    Upper: ``long_sleeve`` when the visible forearm skin (``arms`` pixels
    between the elbow and wrist lines of an arm whose joints are trusted)
    is below :data:`LONG_SLEEVE_MAX_FOREARM_SKIN_REL` x s^2, else
    ``short_sleeve``; ``None`` when no arm has trusted elbow and wrist.
    Lower: ``skirt`` or ``pants``, whichever label has more pixels; ``None``
    when neither is present. Dress: always ``None``.
    """
    category = Category(category)
    if category is Category.UPPER:
        return sleeve_form(arms, keypoints_px, min_confidence)
    if category is Category.LOWER:
        ids = {name: i for i, name in LABEL_SCHEMES[scheme].items()}
        skirt = int(np.count_nonzero(label_map == ids["skirt"]))
        pants = int(np.count_nonzero(label_map == ids["pants"]))
        if skirt == pants == 0:
            return None
        return "skirt" if skirt > pants else "pants"
    return None


def sleeve_form(arms: np.ndarray, keypoints_px: np.ndarray, min_confidence: float = 0.2) -> str | None:
    """``long_sleeve`` or ``short_sleeve`` from the visible arm skin ``arms`` (``HxW`` bool), or ``None``.

    The upper rule of :func:`form_from_label_map`, for any source of arm skin.
    """
    arms = np.asarray(arms, dtype=bool)
    kp = np.asarray(keypoints_px, dtype=np.float32)
    try:
        scale = trusted_frame(kp, min_confidence).scale_px
    except ValueError:
        return None
    half_width = FOREARM_HALF_WIDTH_REL * scale
    height, width = arms.shape
    skin, measured = 0, False
    for side in ("left", "right"):
        elbow, wrist = kp[J[f"{side}_elbow"]], kp[J[f"{side}_wrist"]]
        if min(elbow[2], wrist[2]) <= min_confidence:
            continue
        axis = wrist[:2] - elbow[:2]
        length_sq = float(axis @ axis)
        if length_sq < 1.0:
            continue
        measured = True
        # Only the forearm's bounding box can hold forearm pixels: a window, not the whole photo.
        x0, y0 = np.floor(np.minimum(elbow[:2], wrist[:2]) - half_width).astype(int)
        x1, y1 = np.ceil(np.maximum(elbow[:2], wrist[:2]) + half_width).astype(int) + 1
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
        if x0 >= x1 or y0 >= y1:
            continue
        rows, cols = np.indices((y1 - y0, x1 - x0), dtype=np.float32)
        rows += np.float32(y0)
        cols += np.float32(x0)
        along = ((cols - elbow[0]) * axis[0] + (rows - elbow[1]) * axis[1]) / length_sq
        across = np.abs((cols - elbow[0]) * axis[1] - (rows - elbow[1]) * axis[0]) / np.sqrt(length_sq)
        forearm = (along >= 0) & (along <= 1) & (across <= half_width)
        skin += int(np.count_nonzero(arms[y0:y1, x0:x1] & forearm))
    if not measured:
        return None
    return "long_sleeve" if skin < LONG_SLEEVE_MAX_FOREARM_SKIN_REL * scale**2 else "short_sleeve"
