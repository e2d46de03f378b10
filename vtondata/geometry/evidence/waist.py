"""The waist layer: which part of the garments' silhouette is the upper garment, from this photo's colours.

Without a garment model the parse map's garments are the silhouette's
remainder, what no body-part layer (face, hair, skin, hands, feet) claims.
Cut straight at the hip line, that remainder puts the waistband of trousers
and the top of a high-waisted skirt in the upper garment, and a long sleeve
hanging past the hips in the lower one. Where one garment ends is usually
plain to see, because the two differ in colour. Two colour histograms learn
them from this photo: "upper" from the chest's centre, "lower" from the
body's centre below the hip line. Every remainder cell is labelled by their
log-likelihood ratio plus a prior that leans, the more the farther the cell
lies from the hip line, to the side of it the cell is on: a top and a bottom
of one colour, or a long top over the hips, leave the ratio near zero and the
cut at the hip line. Upper cells are kept where they connect to the chest's
seeds and lower ones where they connect to the hips'; an island of either (a
print, a belt) joins the garment around it.

The layer feeds the parse map only; the mask never reads it, so it cannot
tell the mask the garment's form.
"""

from __future__ import annotations

import cv2
import numpy as np

from vtondata.config.segment import WaistParams
from vtondata.geometry.evidence.likelihood import area_shrink, colour_bins, log_likelihood_ratio, work_grid
from vtondata.geometry.regions import BodyFrame, components_touching, frame_coordinates, mid_hip_along

MIN_SEED_CELLS = 12
"""Fewer seed cells of either garment than this leave no waist layer (the hip line stays the cut)."""
SMOOTHING_CELLS = 5
"""Width of the median filter over the cells' labels (a few centimetres on the body)."""
COLOUR_SMOOTHING_BINS = 1.0
"""Gaussian smoothing of the colour histograms, in bins (as the hair layer's)."""


def above_waist(
    image_rgb: np.ndarray,
    remainder: np.ndarray,
    keypoints_px: np.ndarray,
    frame: BodyFrame,
    params: WaistParams,
) -> np.ndarray | None:
    """``HxW`` bool: the pixels of the silhouette's ``remainder`` that are upper garment (the rest of
    it is lower garment).

    ``keypoints_px`` is canonical ``(19, 3)`` with both hips trusted. ``None``
    when either garment has too few seed cells to learn from, as in a photo
    that ends at the hips: the parse map then cuts at the hip line.
    """
    height, width = remainder.shape
    s = frame.scale_px
    hip = mid_hip_along(keypoints_px, frame)
    scale, small_hw = work_grid((height, width), s, params.work_scale_px)
    cells = cv2.resize(remainder.view(np.uint8), small_hw[::-1], interpolation=cv2.INTER_NEAREST) > 0
    down, across = frame_coordinates(small_hw, frame, scale)
    chest = (down >= params.chest_top_rel * s) & (down <= params.chest_bottom_share * hip)
    upper_seeds = cells & chest & (np.abs(across) <= params.chest_half_width_rel * s)
    below_hips = (down >= hip + params.lower_seed_top_rel * s) & (
        down <= hip + params.lower_seed_bottom_rel * s
    )
    lower_seeds = cells & below_hips & (np.abs(across) <= params.lower_seed_half_width_rel * s)
    if upper_seeds.sum() < MIN_SEED_CELLS or lower_seeds.sum() < MIN_SEED_CELLS:
        return None

    colour, shape = colour_bins(area_shrink(image_rgb, small_hw))
    score = ((hip - down) / s * params.prior_per_s).astype(np.float32)
    score[cells] += log_likelihood_ratio(
        colour, shape, upper_seeds, lower_seeds, cells, COLOUR_SMOOTHING_BINS
    )
    # Seeds teach, they do not decide: a long top reaches past the hips over the lower seeds.
    # A median over each cell's neighbours (by label, not by score, so that a garment whose
    # colour is rarer in the other's seeds does not push the edge) keeps a shadow or a fold
    # from carving the garments' edge into teeth.
    upper = (cv2.medianBlur((score > 0).view(np.uint8), SMOOTHING_CELLS) > 0) & cells
    upper = components_touching(upper, upper_seeds)
    lower = cells & ~upper
    upper |= lower & ~components_touching(lower, lower_seeds)
    # Outside the remainder the hip line decides, so that the upsampled edge of the silhouette
    # falls on the side its neighbours are on.
    side = np.where(cells, upper, down < hip).astype(np.float32)
    return (cv2.resize(side, (width, height), interpolation=cv2.INTER_LINEAR) > 0.5) & remainder
