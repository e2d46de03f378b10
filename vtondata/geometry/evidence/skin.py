"""The skin layer: pixels whose colour fits a model of this person's own skin.

Skin colour varies far more between people and lighting set-ups than within
one photo, so no fixed colour range fits every catalogue; this person's face
says what their skin looks like. Seeds are small discs on the face mesh's
cheeks and forehead (else on the palms of the found hands); a Gaussian is fit
to their chroma in CIELAB (a*, b*), robustly (pixels far from the median are
dropped first, so a fringe or a shadow in a seed does not widen the model),
and a pixel is skin when its chroma lies within the model's
``chroma_quantile`` ellipse (a chi-square quantile, a statistical choice, not
a colour threshold) and it is not much darker than the seeds (shadowed
forearms stay skin; dark garments of a skin-like hue do not). Evaluated at
half resolution, and only in the box that holds the person and the seeds:
the layer feeds a dilated mask, not an outline, and is empty outside the
person.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from vtondata.geometry.evidence.hands import hand_size_px

FACE_SEEDS: tuple[int, ...] = (10, 151, 108, 337, 50, 280, 205, 425, 123, 352)
"""Face-mesh points on the forehead (10, 151, 108, 337) and cheeks; never eyes, brows, lips or nostrils."""
PALM_SEEDS: tuple[int, ...] = (0, 5, 9, 13, 17)
"""Hand landmarks around the palm: the wrist and the four knuckles."""
CHI2_2DOF = {0.9: 4.605, 0.95: 5.991, 0.99: 9.210, 0.999: 13.816}
"""Chi-square quantiles with two degrees of freedom (chroma has two channels)."""
MIN_CHROMA_VARIANCE = 4.0
"""Floor on each chroma variance (8-bit Lab units squared), so a flat-lit face still fits shading."""
MIN_SEED_PIXELS = 30
"""Fewer seed pixels than this fit no colour model."""


def skin_seeds(
    shape_hw: tuple[int, int],
    mesh_px: np.ndarray | None,
    hands_px: list[np.ndarray],
    photo: np.ndarray | None = None,
) -> np.ndarray:
    """``HxW`` bool seed pixels: discs on the face's cheeks and forehead, else on the palms.

    Only pixels inside ``photo`` (when given) count. A face the frame cuts
    above the mouth still has its mesh, but its cheeks and forehead lie past
    the edge: with fewer than :data:`MIN_SEED_PIXELS` face seeds left, the
    palms seed the model instead.
    """
    seeds = np.zeros(shape_hw, dtype=np.uint8)
    if mesh_px is not None:
        face_width = float(np.ptp(mesh_px[:, 0]))
        radius = max(round(0.035 * face_width), 1)
        for index in FACE_SEEDS:
            x, y = mesh_px[index, :2]
            cv2.circle(seeds, (round(x), round(y)), radius, 1, -1)
    inside = seeds.astype(bool) if photo is None else seeds.astype(bool) & photo
    if np.count_nonzero(inside) < MIN_SEED_PIXELS:
        palms = palm_seeds(shape_hw, hands_px)
        return palms if photo is None else palms & photo
    return inside


def palm_seeds(shape_hw: tuple[int, int], hands_px: list[np.ndarray]) -> np.ndarray:
    """``HxW`` bool seed pixels: a disc on each found palm (wrist and knuckles' centre)."""
    seeds = np.zeros(shape_hw, dtype=np.uint8)
    for hand in hands_px:
        centre = hand[list(PALM_SEEDS), :2].mean(axis=0)
        radius = max(round(0.3 * hand_size_px(hand)), 1)
        cv2.circle(seeds, (round(centre[0]), round(centre[1])), radius, 1, -1)
    return seeds.astype(bool)


def skin_layers(
    image_rgb: np.ndarray,
    seeds: np.ndarray,
    person: np.ndarray | None,
    *,
    chroma_quantile: float,
    max_darker_sigma: float,
    limb_seeds: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``HxW`` bool skin pixels of the ``seeds``' model, and those only the limbs' model adds (within
    ``person`` when given); all False with too few seeds.

    ``chroma_quantile`` is one of :data:`CHI2_2DOF`'s keys; ``max_darker_sigma``
    bounds how much darker than the seeds' median lightness, in robust standard
    deviations of the seeds' lightness (at least 8 levels), a skin pixel may be.
    ``limb_seeds`` (the palms) fit a second model, with the first's spread
    about their own mean and lightness, which counts when its mean lies within
    the first's widest ellipse: a face's make-up and light differ from the
    arms', which the hands share, while a palm on a garment (a hand in a
    pocket) is another colour and is left out. The second layer is kept apart
    because blond and light-brown hair sit near such a model: the hair layer
    is fit against the first alone.
    """
    height, width = image_rgb.shape[:2]
    nothing = np.zeros((height, width), dtype=bool)
    rows, cols = _work_box((height, width), person, seeds, limb_seeds)
    small_wh = ((cols.stop - cols.start) // 2, (rows.stop - rows.start) // 2)
    if min(small_wh) == 0:
        return nothing, nothing.copy()
    small = cv2.resize(image_rgb[rows, cols], small_wh, interpolation=cv2.INTER_AREA)
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2LAB).astype(np.float32)
    model = _fit(lab, seeds[rows, cols])
    if model is None:
        return nothing, nothing.copy()

    def full_size(layer: np.ndarray) -> np.ndarray:
        full = nothing.copy()
        full[rows, cols] = cv2.resize(
            layer.view(np.uint8),
            (cols.stop - cols.start, rows.stop - rows.start),
            interpolation=cv2.INTER_NEAREST,
        )
        return full & person if person is not None else full

    skin = model.contains(lab, chroma_quantile, max_darker_sigma)
    limb_model = _fit(lab, limb_seeds[rows, cols]) if limb_seeds is not None else None
    if limb_model is None or model.chroma_distance(limb_model.chroma_mean) > CHI2_2DOF[0.999]:
        return full_size(skin), nothing
    # The limbs' skin differs from the face's in its mean, not in its spread: the palms' own
    # spread takes in their creases and highlights, and would reach white garments.
    shifted = replace(limb_model, chroma_precision=model.chroma_precision)
    return full_size(skin), full_size(shifted.contains(lab, chroma_quantile, max_darker_sigma) & ~skin)


def _work_box(
    shape_hw: tuple[int, int], person: np.ndarray | None, *seed_layers: np.ndarray | None
) -> tuple[slice, slice]:
    """Rows and columns that hold ``person`` and every seed layer (the whole photo without a
    ``person``), starting on even pixels and spanning an even number where the photo allows.

    The layers are computed at half resolution inside this box only: a box
    aligned to the 2x2 blocks of the halving gives each pixel in it exactly
    the value that halving the whole photo would, and outside ``person`` the
    layers are empty anyway.
    """
    height, width = shape_hw
    if person is None:
        return slice(0, height), slice(0, width)
    held = person.copy()
    for layer in seed_layers:
        if layer is not None:
            held |= layer
    ys, xs = np.flatnonzero(held.any(axis=1)), np.flatnonzero(held.any(axis=0))
    if len(ys) == 0:
        return slice(0, 0), slice(0, 0)

    def span(first: int, last: int, size: int) -> slice:
        start = first - first % 2
        stop = min(last + 1 + (last + 1 - start) % 2, size)
        return slice(start, stop)

    return span(int(ys[0]), int(ys[-1]), height), span(int(xs[0]), int(xs[-1]), width)


@dataclass(frozen=True)
class _SkinModel:
    """A Gaussian of the seeds' chroma (a*, b*) and their robust lightness."""

    chroma_mean: np.ndarray
    chroma_precision: np.ndarray
    lightness_median: float
    lightness_sigma: float

    def chroma_distance(self, chroma: np.ndarray) -> np.ndarray:
        """Squared Mahalanobis distance of ``chroma`` (``...x2``) from the mean."""
        (paa, pab), (_, pbb) = self.chroma_precision
        da = chroma[..., 0] - np.float32(self.chroma_mean[0])
        db = chroma[..., 1] - np.float32(self.chroma_mean[1])
        return paa * da * da + 2 * pab * da * db + pbb * db * db

    def contains(self, lab: np.ndarray, chroma_quantile: float, max_darker_sigma: float) -> np.ndarray:
        return (self.chroma_distance(lab[..., 1:]) <= CHI2_2DOF[chroma_quantile]) & (
            lab[..., 0] >= self.lightness_median - max_darker_sigma * self.lightness_sigma
        )


def _fit(lab: np.ndarray, seeds: np.ndarray) -> _SkinModel | None:
    """The skin model of the seed pixels (full resolution) in the half-resolution ``lab``."""
    seed_small = cv2.resize(seeds.view(np.uint8), lab.shape[1::-1], interpolation=cv2.INTER_NEAREST) > 0
    samples = lab[seed_small]
    if len(samples) < MIN_SEED_PIXELS:
        return None
    samples = _robust_core(samples)
    cov = np.cov(samples[:, 1:], rowvar=False) + np.eye(2) * MIN_CHROMA_VARIANCE
    lightness_median = float(np.median(samples[:, 0]))
    return _SkinModel(
        chroma_mean=samples[:, 1:].mean(axis=0),
        chroma_precision=np.linalg.inv(cov).astype(np.float32),
        lightness_median=lightness_median,
        lightness_sigma=max(1.4826 * float(np.median(np.abs(samples[:, 0] - lightness_median))), 8.0),
    )


def _robust_core(samples: np.ndarray) -> np.ndarray:
    """Seed pixels within 3 robust deviations of the median in every Lab channel."""
    median = np.median(samples, axis=0)
    spread = 1.4826 * np.median(np.abs(samples - median), axis=0) + 1.0
    keep = np.all(np.abs(samples - median) <= 3.0 * spread, axis=1)
    return samples[keep] if keep.sum() >= MIN_SEED_PIXELS else samples
