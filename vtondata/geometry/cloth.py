"""Garment photos: a classical foreground mask, the checks a usable garment photo passes, placement.

A catalogue garment photo shows one garment on a white or light studio
background. The classical mask needs no model: a pixel is foreground when any
RGB channel is below ``background_threshold``; a small closing joins the
garment across thin light seams; the largest connected component is kept and
its holes are filled (a white print inside a shirt stays garment). The same
component statistics decide the checks, whatever made the mask: exactly one
large component, and a mask that does not run along the photo's border (a
garment cut by the frame).

Images are ``HxWx3`` uint8 RGB, masks ``HxW`` bool (True = garment), sizes
``(width, height)`` in pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from vtondata.geometry.regions import fill_holes

CLOSE_RADIUS_REL = 0.004
"""Closing radius for the classical mask, as a share of the photo's diagonal."""
WHITE = (255, 255, 255)


@dataclass(frozen=True)
class ClothShape:
    """Component statistics of a garment mask.

    ``area_ratio``: the largest component's share of the photo;
    ``secondary_ratio``: the second-largest component's area over the
    largest's (0 with one component); ``border_touch_ratio``: share of the
    photo's border pixels the mask covers.
    """

    area_ratio: float
    secondary_ratio: float
    border_touch_ratio: float


def classical_foreground(image_rgb: np.ndarray, background_threshold: int) -> np.ndarray:
    """Every non-background pixel of a light-background photo, closed across thin light seams.

    All components are kept, so :func:`cloth_shape` can see a second garment.
    """
    foreground = np.asarray(np.any(image_rgb < background_threshold, axis=2), dtype=np.uint8)
    height, width = foreground.shape
    radius = max(1, round(CLOSE_RADIUS_REL * float(np.hypot(height, width))))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.morphologyEx(foreground, cv2.MORPH_CLOSE, kernel).astype(bool)


def classical_mask(image_rgb: np.ndarray, background_threshold: int) -> np.ndarray:
    """The garment of a light-background photo: the foreground's largest component, holes filled."""
    return fill_holes(largest_component(classical_foreground(image_rgb, background_threshold)))


def largest_component(mask: np.ndarray) -> np.ndarray:
    """The largest 8-connected component of ``mask`` (all False when empty)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if count <= 1:
        return np.zeros(mask.shape, dtype=bool)
    return labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))


def cloth_shape(mask: np.ndarray) -> ClothShape:
    """Component statistics of ``mask`` (see :class:`ClothShape`)."""
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    areas = np.sort(stats[1:, cv2.CC_STAT_AREA])[::-1] if count > 1 else np.zeros(1)
    border = np.concatenate([mask[0], mask[-1], mask[1:-1, 0], mask[1:-1, -1]])
    largest = float(areas[0])
    return ClothShape(
        area_ratio=largest / mask.size,
        secondary_ratio=float(areas[1]) / largest if areas.shape[0] > 1 and largest else 0.0,
        border_touch_ratio=float(border.mean()),
    )


def centre_on_canvas(
    image_rgb: np.ndarray, mask: np.ndarray, size_wh: tuple[int, int], margin_rel: float
) -> tuple[np.ndarray, np.ndarray]:
    """Crop to the mask's box, scale to fit ``size_wh`` less ``margin_rel`` per side, centre on white.

    Returns ``(HxWx3 uint8 RGB, HxW bool)`` of ``size_wh``; everything outside
    the mask is white, as in VITON-HD's ``cloth/`` photos, whatever the
    original background. Raises ``ValueError`` on an empty mask.
    """
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        raise ValueError("cannot centre an empty garment mask")
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    crop, crop_mask = image_rgb[y0:y1, x0:x1], mask[y0:y1, x0:x1]
    width, height = size_wh
    scale = min(width * (1 - 2 * margin_rel) / crop.shape[1], height * (1 - 2 * margin_rel) / crop.shape[0])
    new_w, new_h = max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    crop = cv2.resize(crop, (new_w, new_h), interpolation=interpolation)
    crop_mask = cv2.resize(crop_mask.astype(np.uint8), (new_w, new_h), interpolation=cv2.INTER_NEAREST)
    canvas = np.full((height, width, 3), WHITE, dtype=np.uint8)
    canvas_mask = np.zeros((height, width), dtype=bool)
    left, top = (width - new_w) // 2, (height - new_h) // 2
    canvas[top : top + new_h, left : left + new_w] = np.where(crop_mask[..., None] > 0, crop, WHITE)
    canvas_mask[top : top + new_h, left : left + new_w] = crop_mask.astype(bool)
    return canvas, canvas_mask
