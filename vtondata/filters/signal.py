"""Pixel measures of a grey photo that do not depend on what it shows: blur, noise, JPEG blocks.

Each one is a ratio or a level in grey values, so it means the same on a white
T-shirt, a black dress and a leopard print, and at any size once the photo is
looked at at its own resolution (the callers undo ingest's upscaling first).
All take an ``HxW`` grey array (uint8 or float) and return a float.
"""

from __future__ import annotations

import cv2
import numpy as np

BLUR_TAPS = 9
"""Length of the box filter that re-blurs the photo in :func:`sharpness` (Crete-Roffet et al. use 9)."""
# noise_sigma applies Immerkaer's mask [[1, -2, 1], [-2, 4, -2], [1, -2, 1]]: the difference of two
# Laplacians, zero on any locally linear image.
BLOCK_PX = 8
EDGE_STEP = 48
"""Luma steps above this are object edges, not compression artefacts (:func:`blockiness`)."""
SUBSAMPLE = 3
"""Noise and blocks are read off every third row and column; both repeat all over the photo."""


def sharpness(grey: np.ndarray) -> float:
    """``1 -`` the blur effect of Crete-Roffet, Dolmiere, Ladret and Nicolas (2007), in 0-1.

    The photo is blurred again with a ``BLUR_TAPS`` box filter along each axis;
    a sharp photo loses much of its neighbour-to-neighbour variation, a blurred
    one hardly any. The ratio of lost to total variation does not depend on
    contrast or on how much of the crop is flat backdrop, unlike the variance
    of the Laplacian. 1 is sharp; a photo blurred by a Gaussian of sigma 2 px
    scores about 0.4. A flat crop scores 0.
    """
    image = np.asarray(grey, dtype=np.float32)
    blurs = []
    for axis, size_wh in ((0, (1, BLUR_TAPS)), (1, (BLUR_TAPS, 1))):
        reblurred = cv2.blur(image, size_wh)
        steps = np.abs(np.diff(image, axis=axis))
        steps_reblurred = np.abs(np.diff(reblurred, axis=axis))
        total = float(steps.sum())
        if total <= 0:
            return 0.0
        lost = float(np.maximum(steps - steps_reblurred, 0).sum())
        blurs.append((total - lost) / total)
    return 1.0 - max(blurs)


def noise_sigma(grey: np.ndarray) -> float:
    """Standard deviation of white noise in grey levels (Immerkaer 1996, with a median instead of a mean).

    The mask cancels every locally linear signal, so flat backdrops, skin and
    smooth gradients leave only the noise; the median of the absolute
    response ignores the edges and textures, which are a minority of pixels
    in a photo of a person. For Gaussian noise of deviation s the response has
    deviation 6 s, hence the scaling. The response is evaluated at every
    ``SUBSAMPLE``-th row and column only, which changes the median by far less
    than the estimate's own spread and saves most of the work.
    """
    image = np.asarray(grey)
    height, width = image.shape[:2]
    if height < 3 or width < 3:
        return 0.0

    def at(dy: int, dx: int) -> np.ndarray:
        return image[1 + dy : height - 1 + dy : SUBSAMPLE, 1 + dx : width - 1 + dx : SUBSAMPLE].astype(
            np.int16
        )

    corners = at(-1, -1) + at(-1, 1) + at(1, -1) + at(1, 1)
    sides = at(-1, 0) + at(0, -1) + at(0, 1) + at(1, 0)
    response = np.abs(corners - 2 * sides + 4 * at(0, 0))
    return float(1.4826 * np.median(response) / 6.0)


def blockiness(grey: np.ndarray) -> float:
    """Mean luma step across the 8-px JPEG block grid over the mean step inside blocks.

    A well compressed photo shows no grid (about 1); heavy compression makes
    each 8x8 block flat and the steps concentrate on the grid (2 and more).
    The grid is anchored at the array's top-left pixel, as JPEG's is at the
    image's. Steps of more than ``EDGE_STEP`` grey levels (object edges) are
    left out, so a garment's stripes do not count. Steps are taken along every
    ``SUBSAMPLE``-th row (column): blocks repeat along both axes.
    """
    image = np.ascontiguousarray(grey, dtype=np.uint8)
    ratios = []
    for lines in (image[::SUBSAMPLE], np.ascontiguousarray(image[:, ::SUBSAMPLE].T)):
        if lines.shape[1] < 2 * BLOCK_PX:
            continue
        steps = cv2.absdiff(lines[:, 1:], lines[:, :-1])
        kept = steps <= EDGE_STEP
        sums = np.where(kept, steps, 0).sum(axis=0, dtype=np.int64)
        counts = kept.sum(axis=0)
        on_grid = np.zeros(steps.shape[1], dtype=bool)
        on_grid[BLOCK_PX - 1 :: BLOCK_PX] = True
        across_n, inside_n = counts[on_grid].sum(), counts[~on_grid].sum()
        if across_n == 0 or inside_n == 0 or sums[~on_grid].sum() == 0:
            continue
        ratios.append((sums[on_grid].sum() / across_n) / (sums[~on_grid].sum() / inside_n))
    return float(np.mean(ratios)) if ratios else 1.0
