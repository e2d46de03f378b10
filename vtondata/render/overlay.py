"""See a mask on its person: a tinted overlay with the skeleton, and contact sheets of many.

Reading numbers about a mask is no substitute for looking at it; these two
functions are what the report, notebooks and docs show. Both are pure:
arrays in, a new ``uint8`` RGB array out.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from vtondata.geometry.skeleton import render_skeleton

MASK_TINT_RGB = (255, 0, 110)


def render_overlay(
    person_rgb: np.ndarray,
    mask: np.ndarray,
    keypoints: np.ndarray | None = None,
    alpha: float = 0.5,
    tint_rgb: tuple[int, int, int] = MASK_TINT_RGB,
) -> np.ndarray:
    """``HxWx3`` uint8: ``person_rgb`` with the repaint pixels of ``mask`` (``HxW``, True = repaint)
    blended towards ``tint_rgb`` by ``alpha``, the mask's outline drawn, and, given canonical
    ``(19, 3)`` ``keypoints`` in pixels, the OpenPose-style skeleton drawn on top."""
    person = np.asarray(person_rgb, dtype=np.uint8)
    mask = np.asarray(mask, dtype=bool)
    if person.ndim != 3 or person.shape[2] != 3 or mask.shape != person.shape[:2]:
        raise ValueError(f"expected HxWx3 person and HxW mask, got {person.shape} and {mask.shape}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    out = person.astype(np.float32)
    out[mask] = (1.0 - alpha) * out[mask] + alpha * np.asarray(tint_rgb, dtype=np.float32)
    out = np.round(out).astype(np.uint8)
    contours, _ = cv2.findContours(mask.view(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    thickness = max(1, round(0.002 * max(mask.shape)))
    cv2.drawContours(out, contours, -1, tint_rgb, thickness, cv2.LINE_AA)
    if keypoints is not None:
        skeleton = render_skeleton(keypoints, person.shape[1], person.shape[0])
        drawn = skeleton.any(axis=2)
        out[drawn] = skeleton[drawn]
    return out


def contact_sheet(
    images: Sequence[np.ndarray],
    columns: int,
    tile_width: int,
    background_rgb: tuple[int, int, int] = (255, 255, 255),
) -> np.ndarray:
    """``HxWx3`` uint8 grid of RGB ``images``, each resized to ``tile_width`` wide (aspect kept),
    ``columns`` per row, every cell as tall as the tallest tile, in reading order."""
    if not images:
        raise ValueError("contact_sheet needs at least one image")
    if columns < 1 or tile_width < 1:
        raise ValueError(f"columns and tile_width must be positive, got {columns} and {tile_width}")
    tiles = [
        cv2.resize(
            image,
            (tile_width, max(1, round(image.shape[0] * tile_width / image.shape[1]))),
            interpolation=cv2.INTER_AREA,
        )
        for image in (np.asarray(image, dtype=np.uint8) for image in images)
    ]
    cell_height = max(tile.shape[0] for tile in tiles)
    rows = -(-len(tiles) // columns)
    sheet = np.empty((rows * cell_height, columns * tile_width, 3), dtype=np.uint8)
    sheet[:] = np.asarray(background_rgb, dtype=np.uint8)
    for position, tile in enumerate(tiles):
        row, column = divmod(position, columns)
        top, left = row * cell_height, column * tile_width
        sheet[top : top + tile.shape[0], left : left + tile_width] = tile
    return sheet
