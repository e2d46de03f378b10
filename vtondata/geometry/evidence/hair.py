"""The hair layer: colour models of "hair" and "not hair" seeded by the landmarks, kept connected to the head.

Hair has no landmarks and no fixed colour, but its place is known: on and
around the head, and down over the shoulders for long hair. Two colour
histograms in CIELAB learn this photo's colours: "hair" from the
silhouette above the face's top edge and beside its upper part, or beside
all of it down to the chin when the frame cuts the face's top (the forehead
and temples are gone, and beside the jaw is where long hair falls), "not hair"
from the face itself, the chest's centre (the garment), the upper arms and
the neck's column (its skin, the collar or the neckline).
The backdrop is left out of both: it says nothing about the person and, being
most of the pixels, would drown the other colours.

Colour alone confuses sunlit or tan hair ends with skin, and dark hair with a
dark top. Two more histograms of the same seeds learn the photo's texture:
hair is strands, a strong and locally oriented texture; skin is smooth, and
lace, knit and prints are strong but isotropic. Each cell's structure tensor
gives both (gradient energy and its coherence), and their log-likelihood
ratio, weighted by ``texture_weight``, joins the colour's.

Every silhouette pixel of the hair zone is then labelled by the summed
log-likelihood ratios plus a prior that leans to garment below the shoulder
line, smoothed, and kept only where it is connected to the head, so a dark
garment that matches dark hair can never take over the torso. Runs on a grid
where the body scale spans ``work_scale_px`` cells: a few milliseconds.

When the face layer comes from the silhouette above the chin rather than a
face mesh (faces cut by the frame), that region holds the hair on the head
too, so its non-skin pixels are hair seeds and not face seeds. A photo framed
below the mouth has no face to start from: the skin at its top edge (chin
and neck) stands in for it, and every non-skin silhouette cell above the
chin line, outside the lips' column, seeds hair, since nothing else reaches
that high beside a chin.
"""

from __future__ import annotations

import cv2
import numpy as np

from vtondata.config.segment import HairParams
from vtondata.geometry.evidence.face import MOUTH_HALF_WIDTH_REL
from vtondata.geometry.evidence.likelihood import colour_bins, log_likelihood_ratio, work_grid
from vtondata.geometry.keypoints import J
from vtondata.geometry.regions import (
    BodyFrame,
    capsule_polygon,
    components_touching,
    fill_polygons,
    frame_coordinates,
)

UPPER_ARM_SEED_FROM = 0.35
"""Upper-arm not-hair seeds start this share of the way from the shoulder to the elbow."""
NECK_PER_FACE_HALF_WIDTH = 0.5
"""The neck's half width, as a share of the face's half width."""
MIN_SEED_CELLS = 12
"""Fewer seed cells of either kind than this leave no hair layer (no colour model can be fit)."""
BESIDE_FACE_GAPS = 6
"""Hair seeds beside the face lie from one to this many seed gaps off its edge."""
FACE_SHARE_BESIDE_HAIR = 0.6
"""Hair seeds beside a whole face lie along this top share of its height (above the jaw); beside a
face the frame cuts at the top, along all of its visible height."""
COLOUR_SMOOTHING_BINS = 1.0
"""Gaussian smoothing of the colour histograms, in bins: nearby colours share evidence."""
ENERGY_BINS = 6
"""Texture histogram bins of gradient energy, logarithmic up to :data:`MAX_ENERGY`."""
MAX_ENERGY = 400.0
"""RMS Sobel response of the top energy bin (a 3x3 Sobel reads a step of one grey level as 4):
the strands at the edge of dark hair on a bright backdrop."""
COHERENCE_BINS = 4
"""Texture histogram bins of coherence, 0 (isotropic or flat) to 1 (one orientation)."""
TEXTURE_SMOOTHING_BINS = 0.7
"""Gaussian smoothing of the texture histograms, in bins: less than the colour's, since each
texture bin is already wide (a quarter of the coherence range)."""


def hair_layer(
    image_rgb: np.ndarray,
    person: np.ndarray,
    face: np.ndarray,
    skin: np.ndarray,
    keypoints_px: np.ndarray,
    frame: BodyFrame,
    params: HairParams,
    *,
    face_from_mesh: bool,
    face_cut_at_top: bool = False,
    chin_px: float | None = None,
) -> np.ndarray:
    """``HxW`` bool hair pixels; all False when there is no face to start from or too few seeds.

    ``keypoints_px`` is canonical ``(19, 3)`` with untrusted joints at confidence 0.
    ``face_cut_at_top``: the photo's top edge crosses ``face`` (a face, not
    the skin a cut below the mouth leaves), so the seeds beside it run down
    to the chin. ``chin_px``: where ``face`` is that skin, the chin line
    (along ``frame.down``, pixels from the body's origin); every silhouette
    cell above it that is neither skin nor in the lips' column seeds hair too.
    """
    height, width = person.shape
    s = frame.scale_px
    scale, small_hw = work_grid((height, width), s, params.work_scale_px)

    def shrink(layer: np.ndarray) -> np.ndarray:
        return cv2.resize(layer.view(np.uint8), small_hw[::-1], interpolation=cv2.INTER_NEAREST) > 0

    face_s, person_s, skin_s = shrink(face), shrink(person), shrink(skin)
    empty = np.zeros((height, width), dtype=bool)
    if not face_s.any():
        return empty
    down, across = frame_coordinates(small_hw, frame, scale)
    axis = float(np.median(across[face_s]))
    face_top, chin = float(down[face_s].min()), float(down[face_s].max())
    face_half_width = float(np.abs(across[face_s] - axis).max())
    zone = (down <= params.below_shoulders_rel * s) & (np.abs(across - axis) <= params.half_width_rel * s)
    chest = (down >= params.chest_top_rel * s) & (np.abs(across) <= params.chest_half_width_rel * s)
    upper_arms = shrink(fill_polygons(person.shape, _upper_arms(keypoints_px, frame)))
    candidate = person_s & zone & ~chest & ~upper_arms

    gap = params.seed_gap_rel * s
    above_face = (down < face_top - gap) & (np.abs(across - axis) <= params.seed_half_width_rel * s)
    share = 1.0 if face_cut_at_top else FACE_SHARE_BESIDE_HAIR
    beside_face = _beside_face(face_s, down, face_top, chin, gap * scale, share)
    hair_seeds = candidate & (above_face | beside_face)
    if chin_px is not None:
        # A photo framed below the mouth holds, above the chin, the chin's skin and the hair
        # beside it, nothing else: no collar reaches that high. The lips are no hair either.
        beside_mouth = np.abs(across - axis) > MOUTH_HALF_WIDTH_REL * s
        hair_seeds |= candidate & ~skin_s & beside_mouth & (down < chin_px - gap)
    # The neck's column below the chin is not hair (hair falls beside the neck, not in front of
    # it); all of it (skin, collar or neckline), and any skin below the shoulder line, teaches
    # the not-hair colours and textures. The column runs from the chin to the neck base.
    neck = _neck_column(down, across, axis, chin, NECK_PER_FACE_HALF_WIDTH * face_half_width)
    body_skin = skin_s & ((down > 0) | neck)
    not_hair_seeds = person_s & (chest | upper_arms | body_skin | neck)
    candidate &= ~body_skin & ~neck
    if face_from_mesh:
        candidate &= ~face_s
        not_hair_seeds |= face_s
    else:
        hair_seeds |= face_s & ~skin_s & candidate
        not_hair_seeds |= face_s & skin_s
    if hair_seeds.sum() < MIN_SEED_CELLS or not_hair_seeds.sum() < MIN_SEED_CELLS:
        return empty

    small_rgb = cv2.resize(image_rgb, small_hw[::-1], interpolation=cv2.INTER_AREA)
    colour, colour_shape = colour_bins(small_rgb)
    ratio = log_likelihood_ratio(
        colour, colour_shape, hair_seeds, not_hair_seeds, candidate, COLOUR_SMOOTHING_BINS
    )
    if params.texture_weight > 0:
        texture = _texture_bins(image_rgb, small_hw, candidate | hair_seeds | not_hair_seeds)
        shape = (ENERGY_BINS, COHERENCE_BINS)
        ratio += params.texture_weight * log_likelihood_ratio(
            texture, shape, hair_seeds, not_hair_seeds, candidate, TEXTURE_SMOOTHING_BINS
        )
    prior = np.where(
        down <= 0, 0.0, np.log(params.prior_below_shoulders / (1 - params.prior_below_shoulders))
    )
    hair = np.zeros(small_hw, dtype=np.uint8)
    hair[candidate] = (ratio + prior[candidate]) > 0
    hair = (cv2.medianBlur(hair, 3) > 0) & candidate | hair_seeds
    hair = _connected_to_head(hair, face_s | hair_seeds)
    full = cv2.resize(hair.view(np.uint8), (width, height), interpolation=cv2.INTER_LINEAR) > 0
    return full & person & ~face if face_from_mesh else full & person


def _neck_column(
    down: np.ndarray, across: np.ndarray, face_axis: float, chin: float, half_width: float
) -> np.ndarray:
    """Cells of the neck's column: below the chin, within ``half_width`` of the line from the chin
    (on the face's axis) to the neck base (the body's origin), and of the body's axis below it.

    A tilted or turned head puts the face's axis beside the neck base, not above it; a column
    straight down from the face would then hold the hair falling on that side of the neck.
    """
    if chin < 0:
        share_down = np.clip((down - chin) / -chin, 0.0, 1.0)
        centre = face_axis * (1.0 - share_down)
    else:  # a chin at or below the shoulder line: the neck base is all there is
        centre = np.zeros_like(down)
    return (down > chin) & (np.abs(across - centre) <= half_width)


def _beside_face(
    face: np.ndarray, down: np.ndarray, face_top: float, chin: float, gap_cells: float, share: float
) -> np.ndarray:
    """Cells one to :data:`BESIDE_FACE_GAPS` seed gaps off the face's edge, beside the top ``share``
    of its visible height.

    Beside the forehead, eyes and cheeks the silhouette holds hair, an ear or
    nothing (the backdrop is not in it), so this ring seeds hair also where
    the frame cuts off the top of the head and nothing lies above the face.
    Beside the jaw hangs long hair or nothing, and a face cut at the nose has
    little else beside it, so there the ring runs down to the chin. The ring
    is measured from the face's own outline, not from the head's axis, so a
    tilted or turned head keeps its seeds beside it. An ear among the seeds
    costs little: the face and the neck's skin are never hair.
    """
    outside = cv2.distanceTransform((~face).view(np.uint8), cv2.DIST_L2, 3)
    ring = (outside > gap_cells) & (outside <= BESIDE_FACE_GAPS * gap_cells)
    return ring & (down > face_top) & (down < face_top + share * (chin - face_top))


def _texture_bins(image_rgb: np.ndarray, small_hw: tuple[int, int], needed: np.ndarray) -> np.ndarray:
    """Each grid cell's flat texture bin, ``energy_bin * COHERENCE_BINS + coherence_bin``.

    The structure tensor (products of Sobel gradients) is averaged over each
    cell at the photo's full resolution, where strands are resolved; only the
    box around the ``needed`` cells is computed. Cells outside it get bin 0.
    """
    height, width = image_rgb.shape[:2]
    rows, cols = np.flatnonzero(needed.any(axis=1)), np.flatnonzero(needed.any(axis=0))
    out = np.zeros(small_hw, dtype=np.int64)
    if len(rows) == 0:
        return out
    r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    y0, y1 = r0 * height // small_hw[0], -(-r1 * height // small_hw[0])
    x0, x1 = c0 * width // small_hw[1], -(-c1 * width // small_hw[1])
    grey = cv2.cvtColor(np.ascontiguousarray(image_rgb[y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY).astype(np.float32)
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    # One three-channel resize: about a third of the time of three single-channel ones. The
    # products are written into their channels in place (cv2.merge of float planes took ten times
    # as long as the resize).
    products = np.empty((*gx.shape, 3), dtype=np.float32)
    np.multiply(gx, gx, out=products[..., 0])
    np.multiply(gy, gy, out=products[..., 1])
    np.multiply(gx, gy, out=products[..., 2])
    tensor = cv2.resize(products, (c1 - c0, r1 - r0), interpolation=cv2.INTER_AREA)
    jxx, jyy, jxy = tensor[..., 0], tensor[..., 1], tensor[..., 2]
    trace = jxx + jyy
    coherence = np.sqrt((jxx - jyy) ** 2 + 4 * jxy**2) / np.maximum(trace, 1e-6)
    energy = np.sqrt(trace)
    energy_bin = np.clip(np.log1p(energy) / np.log1p(MAX_ENERGY) * ENERGY_BINS, 0, ENERGY_BINS - 1)
    coherence_bin = np.clip(coherence * COHERENCE_BINS, 0, COHERENCE_BINS - 1)
    out[r0:r1, c0:c1] = energy_bin.astype(np.int64) * COHERENCE_BINS + coherence_bin.astype(np.int64)
    return out


def _upper_arms(keypoints_px: np.ndarray, frame: BodyFrame) -> list[np.ndarray]:
    """Capsules along the lower part of each trusted upper arm, a third of the body scale wide."""
    polygons = []
    for shoulder, elbow in (("left_shoulder", "left_elbow"), ("right_shoulder", "right_elbow")):
        if keypoints_px[J[shoulder], 2] > 0 and keypoints_px[J[elbow], 2] > 0:
            start, end = keypoints_px[J[shoulder], :2], keypoints_px[J[elbow], :2]
            polygons.append(
                capsule_polygon(start + UPPER_ARM_SEED_FROM * (end - start), end, frame.scale_px / 6)
            )
    return polygons


def _connected_to_head(hair: np.ndarray, head: np.ndarray) -> np.ndarray:
    """Hair components that touch the head (the face grown by one cell, or the hair seeds)."""
    return components_touching(hair, cv2.dilate(head.view(np.uint8), np.ones((3, 3), np.uint8)) > 0)
