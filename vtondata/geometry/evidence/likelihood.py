"""Two-class histogram models learnt from one photo's own seeds: which class a cell's bin favours.

The hair layer (hair against face, skin and garment) and the waist layer
(upper against lower garment) both know where each class surely is, from the
landmarks, but not what it looks like: that differs from photo to photo. Each
class's histogram of its seed cells says so, and every other cell is scored by
the log-likelihood ratio of its bin.
"""

from __future__ import annotations

import cv2
import numpy as np

COLOUR_BINS = 16
"""Colour histogram bins per CIELAB channel."""
DENSITY_FLOOR = 0.05
"""Added to every smoothed histogram bin (in seed counts) before normalising."""


def work_grid(
    shape_hw: tuple[int, int], scale_px: float, work_scale_px: float
) -> tuple[float, tuple[int, int]]:
    """The scale from a photo of ``shape_hw`` to the grid the models run on, and the grid's size:
    the body scale ``scale_px`` spans ``work_scale_px`` cells (never more cells than pixels), so
    the cost stays flat whatever the photo's size."""
    scale = min(1.0, work_scale_px / scale_px)
    return scale, (max(round(shape_hw[0] * scale), 1), max(round(shape_hw[1] * scale), 1))


def area_shrink(image: np.ndarray, size_hw: tuple[int, int]) -> np.ndarray:
    """``image`` averaged down to ``size_hw``, halving first while it stays at least twice as large.

    OpenCV's area resize at an exact factor of two is a fast block mean; at a
    fractional factor it weighs every pixel's share in each target pixel, about
    ten times slower on a 768x1024 photo. Halving first leaves the fractional
    step a quarter of the pixels or fewer, for nearly the same averages.
    """
    while image.shape[0] >= 2 * size_hw[0] and image.shape[1] >= 2 * size_hw[1]:
        image = cv2.resize(image, (image.shape[1] // 2, image.shape[0] // 2), interpolation=cv2.INTER_AREA)
    return cv2.resize(image, size_hw[::-1], interpolation=cv2.INTER_AREA)


def colour_bins(small_rgb: np.ndarray) -> tuple[np.ndarray, tuple[int, int, int]]:
    """Each cell's flat CIELAB bin (:data:`COLOUR_BINS` per channel) and the histogram's shape."""
    lab = cv2.cvtColor(small_rgb, cv2.COLOR_RGB2LAB)
    bins = COLOUR_BINS
    return (lab.astype(np.int32) * bins // 256) @ np.array([bins * bins, bins, 1]), (bins, bins, bins)


def log_likelihood_ratio(
    index: np.ndarray,
    shape: tuple[int, ...],
    seeds_a: np.ndarray,
    seeds_b: np.ndarray,
    where: np.ndarray,
    sigma_bins: float,
) -> np.ndarray:
    """log p(bin | a) - log p(bin | b) for the cells ``where`` is True, in its order.

    ``index`` holds each cell's flat bin in a histogram of ``shape``. Each
    class's density is the histogram of its seeds, smoothed by a Gaussian of
    ``sigma_bins`` (nearby bins share evidence) with a small floor (unseen
    bins are rare, not impossible).
    """
    size = int(np.prod(shape))

    def density(seeds: np.ndarray) -> np.ndarray:
        counts = np.bincount(index[seeds], minlength=size).reshape(shape).astype(np.float64)
        smooth = gaussian_smoothed(counts, sigma_bins) + DENSITY_FLOOR
        return np.log(smooth / smooth.sum()).reshape(-1)

    return (density(seeds_a) - density(seeds_b))[index[where]]


def gaussian_smoothed(counts: np.ndarray, sigma: float) -> np.ndarray:
    """``counts`` smoothed along every axis by a Gaussian of ``sigma`` bins, truncated at 4 sigma,
    with nothing beyond the histogram's edges.

    A histogram has a few bins per axis, so each axis is one small matrix
    product. ``scipy.ndimage.gaussian_filter(mode="constant")`` gives the same
    numbers, but importing ``scipy.ndimage`` costs about 0.3 s of CPU in every
    process that builds.
    """
    radius = int(4.0 * sigma + 0.5)
    kernel = cv2.getGaussianKernel(2 * radius + 1, sigma, cv2.CV_64F).ravel()
    smoothed = counts
    for axis, bins in enumerate(counts.shape):
        offset = np.arange(bins)[None, :] - np.arange(bins)[:, None]
        weights = np.where(np.abs(offset) <= radius, kernel[np.clip(offset + radius, 0, 2 * radius)], 0.0)
        smoothed = np.moveaxis(np.tensordot(weights, smoothed, axes=(1, axis)), 0, axis)
    return smoothed
