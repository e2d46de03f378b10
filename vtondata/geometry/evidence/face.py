"""The face layer: the face mesh's outline, or the head above the chin when no mesh was found.

A face mesh (468 points from forehead to chin, cheek to cheek) outlines the
face exactly, also when the frame cuts it: points beyond the edge are still
predicted, and the hull is clipped by the image. Catalogue photos are often
cropped at the nose or eyes, where no mesh is found at all; then the face is
what the silhouette holds above the chin line, where the chin is placed from
the pose's mouth (or nose) and shoulder line, within a head-wide band around
the head's axis. Without either, there is no face layer (the mask then falls
back to the pose-drawn head ellipse). A photo framed below the mouth keeps
only the chin's and the neck's skin at its top edge: the hair layer starts
from that skin (:func:`skin_below_cut_face`), and the part of it above the
chin line, the chin, is the face layer with the lips (:func:`chin_of_cut_face`);
the chin line lies below the lips when they show at the edge, else at a
share of the body scale above the shoulders.
"""

from __future__ import annotations

import numpy as np

from vtondata.geometry.evidence.pose33 import FACE_POINTS, P, visible
from vtondata.geometry.regions import (
    BodyFrame,
    components_touching,
    fill_polygons,
    frame_coordinates,
    hull,
    points_in_box,
)

CHIN_BELOW_MOUTH_PER_NOSE_MOUTH = 1.6
"""Chin below the mouth line, in nose-to-mouth distances (anthropometric face thirds)."""
CHIN_ABOVE_SHOULDERS_REL = 0.35
"""Chin above the shoulder line when no mouth or nose is seen, / s (body scale). The face mesh's chin
lies 0.373 s above it on average on the 20 shared photos with a mesh (standard deviation 0.053,
range 0.257-0.478)."""
HEAD_HALF_WIDTH_REL = 0.42
"""Half width of the band the fallback face may occupy around the head's axis, / s."""
MOUTH_HALF_WIDTH_REL = 0.12
"""Half width of the lips' column about the face's axis, / s: half a mouth (about 0.07 s) and a margin."""
LIPS_TO_CHIN_REL = 0.10
"""Chin below the lower lip's bottom edge, / s: 0.101 on the 20 shared photos with a face mesh (mesh
points 17 to 152; standard deviation 0.018, range 0.069-0.140)."""
CHIN_RANGE_REL = (0.25, 0.48)
"""Where chins lie above the shoulder line, / s: the range of the meshes' chins on the same photos
(0.257-0.478). What would put the chin lower is not lips, and a line from the lips is placed no
higher than the highest chin."""
LIPS_HALF_WIDTH_REL = 0.06
"""Half width of the column the lips are looked for in, / s: within half a mouth of the axis."""
MAX_LIPS_HEIGHT_REL = 0.1
"""Lips cut by the top edge are at most this tall, / s (both lips: about 0.05 s)."""
CUT_SKIN_ABOVE_SHOULDERS_REL = 0.2
"""The skin left by a top edge below the mouth counts down to this far above the shoulder line, / s:
above the shoulders' tops, which lie higher than the shoulder joints."""


def face_from_mesh(shape_hw: tuple[int, int], mesh_px: np.ndarray) -> np.ndarray:
    """``HxW`` bool: the convex hull of the face mesh's points, clipped to the image."""
    return fill_polygons(shape_hw, [hull(np.asarray(mesh_px, dtype=np.float32)[:, :2])])


def chin_line_px(pose33_px: np.ndarray, frame: BodyFrame, min_visibility: float) -> float | None:
    """Distance along ``frame.down`` from the body origin to the chin (negative: above the shoulders).

    From the mouth when seen (and the nose, for the face's scale), else a
    fixed share of the body scale above the shoulder line. ``None`` when the
    body frame has no shoulders to measure from.
    """

    def along(index: int) -> float:
        return float((pose33_px[index, :2].astype(np.float64) - frame.origin_px) @ frame.down)

    mouth = [i for i in (P["mouth_left"], P["mouth_right"]) if visible(pose33_px, i, min_visibility)]
    if mouth and visible(pose33_px, P["nose"], min_visibility):
        mouth_at = float(np.mean([along(i) for i in mouth]))
        return mouth_at + CHIN_BELOW_MOUTH_PER_NOSE_MOUTH * max(mouth_at - along(P["nose"]), 0.0)
    return -CHIN_ABOVE_SHOULDERS_REL * frame.scale_px


def face_above_chin(
    person: np.ndarray,
    pose33_px: np.ndarray,
    frame: BodyFrame,
    min_visibility: float,
    photo_xyxy: tuple[int, int, int, int] | None = None,
) -> np.ndarray:
    """``HxW`` bool: silhouette pixels above the chin line within a head-wide band around the head axis.

    Used when no face mesh was found (faces cut at the nose or eyes, heads
    turned away): the head is then what the person holds above the chin.
    Hair inside the band is labelled face here; the hair layer takes it back.
    A photo whose top edge lies below the mouth (``photo_xyxy``, default the
    whole image; the pose model places the mouth above the edge) has no face
    in it: the top of its silhouette is the neck or a collar, and it gets no
    face layer, so that neither it nor the hair layer grown from it keeps
    that garment out of the mask.
    """
    chin = chin_line_px(pose33_px, frame, min_visibility)
    if chin is None or not _mouth_in_photo(pose33_px, photo_xyxy or (0, 0, *person.shape[::-1])):
        return np.zeros(person.shape, dtype=bool)
    height, width = person.shape
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    rel_x, rel_y = xs - np.float32(frame.origin_px[0]), ys - np.float32(frame.origin_px[1])
    down = rel_x * np.float32(frame.down[0]) + rel_y * np.float32(frame.down[1])
    across = rel_x * np.float32(frame.across[0]) + rel_y * np.float32(frame.across[1])
    head_axis = _head_axis_across(pose33_px, frame, min_visibility)
    band = np.abs(across - np.float32(head_axis)) <= np.float32(HEAD_HALF_WIDTH_REL * frame.scale_px)
    return np.asarray(person, dtype=bool) & (down <= np.float32(chin)) & band


def _mouth_in_photo(pose33_px: np.ndarray, photo_xyxy: tuple[int, int, int, int]) -> bool:
    """Whether either mouth corner, seen or not, lies inside the photo."""
    return bool(points_in_box(pose33_px[[P["mouth_left"], P["mouth_right"]]], photo_xyxy).any())


def _head_axis_across(pose33_px: np.ndarray, frame: BodyFrame, min_visibility: float) -> float:
    """Where the head sits across the body axis: the mean of the seen face points, else the neck."""
    seen = [i for i in FACE_POINTS if visible(pose33_px, i, min_visibility)]
    if not seen:
        return 0.0
    points = pose33_px[seen, :2].astype(np.float64) - frame.origin_px
    return float(np.mean(points @ frame.across))


def skin_below_cut_face(
    person: np.ndarray, skin: np.ndarray, frame: BodyFrame, photo_xyxy: tuple[int, int, int, int]
) -> np.ndarray:
    """``HxW`` bool: the skin of the silhouette that reaches the photo's top edge within a head-wide
    band about the body's axis, above the shoulders; all False when none does.

    A photo framed at the mouth keeps a sliver of chin and the neck, with the
    hair falling beside them from the top edge; no face mesh is found and no
    face layer drawn (the top of the silhouette might as well be a collar).
    This skin is where the hair layer starts from then. A collar or a
    turtleneck at the top edge is no skin, and leaves nothing.
    """
    x0, y0, x1, y1 = photo_xyxy
    empty = np.zeros(person.shape, dtype=bool)
    if y1 <= y0 or not person[y0, x0:x1].any() or not skin.any():
        return empty
    down, across = frame_coordinates(person.shape, frame, 1.0)
    s = frame.scale_px
    head_band = (np.abs(across) <= HEAD_HALF_WIDTH_REL * s) & (down <= -CUT_SKIN_ABOVE_SHOULDERS_REL * s)
    near = person & skin & head_band
    top_edge = np.zeros(person.shape, dtype=bool)
    top_edge[y0, x0:x1] = True
    return components_touching(near, top_edge)


def chin_of_cut_face(cut_skin: np.ndarray, person: np.ndarray, frame: BodyFrame) -> tuple[np.ndarray, float]:
    """``HxW`` bool: the part of ``cut_skin`` (:func:`skin_below_cut_face`) above the chin line, and
    the silhouette in the lips' column above it; and that chin line, along ``frame.down`` from the
    body's origin (negative: above the shoulders).

    A top edge between the mouth and the chin leaves a sliver of chin above
    the neck, both skin: what lies above the chin line is the chin and stays
    out of the mask, what lies below is the neck, which the mask repaints with
    the neckline. The lips are no skin: above the line, the silhouette within
    :data:`MOUTH_HALF_WIDTH_REL` of the axis of the chin and neck (the neck
    centred under the mouth) is face too. An edge at or below the chin leaves
    no skin above the line and no face layer. Where the line lies:
    :func:`_chin_line`.
    """
    s = frame.scale_px
    if not cut_skin.any():
        return cut_skin.copy(), -CHIN_ABOVE_SHOULDERS_REL * s
    down, across = frame_coordinates(cut_skin.shape, frame, 1.0)
    from_axis = np.abs(across - float(np.median(across[cut_skin])))
    chin_px = _chin_line(cut_skin, person, down, from_axis, s)
    above = down <= chin_px
    chin = cut_skin & above
    if chin.any():
        chin |= person & above & (from_axis <= MOUTH_HALF_WIDTH_REL * s)
    return chin, chin_px


def _chin_line(
    cut_skin: np.ndarray, person: np.ndarray, down: np.ndarray, from_axis: np.ndarray, s: float
) -> float:
    """The chin line of a face the frame cuts below the mouth, along the body's axis (``down``, and
    ``from_axis``, the distance from the axis of the chin and neck, both in pixels).

    With no mesh and no seen mouth, the lips still show where the edge cuts
    through them: the silhouette that is not skin, reaches the top edge and
    lies within :data:`LIPS_HALF_WIDTH_REL` of the axis. The chin lies
    :data:`LIPS_TO_CHIN_REL` below their lowest pixel. What is taller than
    lips (:data:`MAX_LIPS_HEIGHT_REL`: a chin the skin model missed, a strand
    of hair) or reaches lower than lips above the lowest chin do
    (:data:`CHIN_RANGE_REL`) is not taken for them. Without lips at the edge
    the line lies :data:`CHIN_ABOVE_SHOULDERS_REL` above the shoulders.
    """
    fallback = -CHIN_ABOVE_SHOULDERS_REL * s
    top = int(np.flatnonzero(cut_skin.any(axis=1))[0])
    candidates = person & ~cut_skin & (from_axis <= LIPS_HALF_WIDTH_REL * s)
    edge = np.zeros_like(candidates)
    edge[top] = True
    lips = components_touching(candidates, edge)
    if not lips.any():
        return fallback
    lowest, highest = float(down[lips].max()), float(down[lips].min())
    low, high = CHIN_RANGE_REL
    if lowest - highest > MAX_LIPS_HEIGHT_REL * s or lowest + LIPS_TO_CHIN_REL * s > -low * s:
        return fallback
    return float(max(lowest + LIPS_TO_CHIN_REL * s, -high * s))
