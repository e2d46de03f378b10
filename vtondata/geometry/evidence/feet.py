"""The feet layer: the shoe as the silhouette shows it, found from the ankle, heel and toe landmarks.

The pose's foot landmarks (heel and the tip of the foot) place each foot
where a box along the shin cannot: feet turn out, point at the camera, or
stand on tiptoe in heels. Each foot is the hull of those points, starting
part of the way from the ankle joint towards the sole so that trouser and
skirt hems above the shoe stay in the mask, grown by a small margin. Landmarks
say where a foot is, not how wide its shoe is: seen from the front a foot is
a short line of points while the shoe is a quarter of a shoulder width
across. So the person silhouette's pixels near that hull and past the line
across the ankle point join the foot: the shoe as photographed, whatever its
shape.

A foot counts as seen when its toe is, inside the photo, with its heel or
ankle. The heel is not required: in the front view of a catalogue photo the
foot itself hides it, and MediaPipe rates the heel's visibility near 0.5
while placing it correctly behind the ankle; requiring it dropped whole feet
into the mask.
"""

from __future__ import annotations

import numpy as np

from vtondata.geometry.evidence.pose33 import P, visible
from vtondata.geometry.regions import disc_hull, fill_polygons, points_in_box

_FEET = (
    ("left_ankle", "left_heel", "left_foot_index"),
    ("right_ankle", "right_heel", "right_foot_index"),
)


def feet_layer(
    shape_hw: tuple[int, int],
    pose33_px: np.ndarray,
    scale_px: float,
    person: np.ndarray | None = None,
    *,
    margin_rel: float,
    reach_rel: float,
    ankle_drop: float,
    min_visibility: float,
    photo_xyxy: tuple[int, int, int, int] | None = None,
) -> np.ndarray:
    """``HxW`` bool: per seen foot, its landmark hull grown by ``margin_rel`` x s, plus its shoe.

    The hull is that of (ankle point, heel, toe), the ankle point moved
    ``ankle_drop`` (0..1) of the way from the ankle joint towards the middle
    of heel and toe. The shoe: ``person`` pixels within ``reach_rel`` x s of
    the hull, on the sole's side of the line through the ankle point across
    the ankle-to-sole direction. A foot counts as seen when its toe, inside
    the photo (``photo_xyxy``, default the whole image), and its heel or
    ankle have at least ``min_visibility`` (:func:`seen_feet`); its heel is
    placed wherever the model put it.
    """
    hulls, shoes = [], []
    photo = photo_xyxy or (0, 0, shape_hw[1], shape_hw[0])
    for ankle, heel, toe in seen_feet(pose33_px, min_visibility, photo):
        heel_xy, toe_xy = pose33_px[P[heel], :2].astype(np.float64), pose33_px[P[toe], :2].astype(np.float64)
        ankle_xy = pose33_px[P[ankle], :2].astype(np.float64)
        sole = (heel_xy + toe_xy) / 2 - ankle_xy
        points = np.array([ankle_xy + sole * ankle_drop, heel_xy, toe_xy])
        hulls.append(disc_hull(points, margin_rel * scale_px))
        length = float(np.linalg.norm(sole))
        if length > 0:
            shoes.append((points, sole / length))
    feet = fill_polygons(shape_hw, hulls)
    if person is not None and reach_rel > 0:
        for points, down in shoes:
            _add_shoe(feet, person, points, down, reach_rel * scale_px)
    return feet


def _add_shoe(
    feet: np.ndarray, person: np.ndarray, points: np.ndarray, down: np.ndarray, reach_px: float
) -> None:
    """Set in ``feet`` the ``person`` pixels near the hull of ``points``, past the ankle line (first point).

    Drawn in the hull's bounding box only: a foot is a few thousand pixels of a
    megapixel photo.
    """
    near = disc_hull(points, reach_px)
    height, width = person.shape[:2]
    x0, y0 = np.maximum(np.floor(near.min(axis=0)).astype(int), 0)
    x1, y1 = np.minimum(np.ceil(near.max(axis=0)).astype(int) + 1, (width, height))
    if x1 <= x0 or y1 <= y0:
        return
    # A square on the sole's side of the line, large enough to hold the whole hull there.
    side = 2 * (float(np.linalg.norm(points - points[0], axis=1).max()) + reach_px)
    across, ahead = np.array([-down[1], down[0]]) * side / 2, down * side
    past = np.array(
        [points[0] - across, points[0] + across, points[0] + across + ahead, points[0] - across + ahead]
    )
    box_origin, box_hw = np.array([x0, y0]), (int(y1 - y0), int(x1 - x0))
    inside = fill_polygons(box_hw, [near - box_origin]) & fill_polygons(box_hw, [past - box_origin])
    feet[y0:y1, x0:x1] |= inside & person[y0:y1, x0:x1]


def seen_feet(
    pose33_px: np.ndarray, min_visibility: float, photo_xyxy: tuple[int, int, int, int]
) -> list[tuple[str, str, str]]:
    """The (ankle, heel, toe) names of each foot whose toe is seen inside the photo, and its heel or ankle.

    MediaPipe places and rates feet below the bottom edge of a photo cut at the
    shins, also inside a letterbox bar under it; such a foot is not in the
    photo (``photo_xyxy``), so it is not counted.
    """
    found = []
    for ankle, heel, toe in _FEET:
        in_photo = points_in_box(pose33_px[[P[toe]]], photo_xyxy)[0]
        if not (visible(pose33_px, P[toe], min_visibility) and in_photo):
            continue
        if visible(pose33_px, P[heel], min_visibility) or visible(pose33_px, P[ankle], min_visibility):
            found.append((ankle, heel, toe))
    return found
