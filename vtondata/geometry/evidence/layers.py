"""All landmark-derived evidence layers of one photo, in the order each one needs the others.

Face first (mesh, else silhouette above the chin), then feet (landmark
hulls and the shoes the silhouette shows), skin (a colour model seeded on
the face, else the palms; ``limb_skin``, for the parse map only, what a
model of the palms' colour adds on arms and legs), then hair (colour models
seeded by the face, or by the skin a top edge below the mouth leaves, and by
the skin and the chest); skin and the fallback face give up what the hair
layer takes. Then hands: landmark hulls, widened at the wrist where that is
skin, and cut to the skin near them. Last, what the silhouette holds besides
them is split into upper and lower garment by colour (``above_waist``, for
the parse map only). Every layer is ``HxW`` bool and absent when its evidence is: the
mask then falls back to pose-drawn stand-ins (vtondata.geometry.agnostic).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from vtondata.config.segment import LandmarkSegmentConfig
from vtondata.geometry.evidence.face import (
    chin_of_cut_face,
    face_above_chin,
    face_from_mesh,
    skin_below_cut_face,
)
from vtondata.geometry.evidence.feet import feet_layer, seen_feet
from vtondata.geometry.evidence.hair import hair_layer
from vtondata.geometry.evidence.hands import hands_layer, hands_on_skin
from vtondata.geometry.evidence.skin import palm_seeds, skin_layers, skin_seeds
from vtondata.geometry.evidence.waist import above_waist
from vtondata.geometry.parse_map import garment_remainder, hips_trusted
from vtondata.geometry.regions import body_frame, inside_box

HAND_SETS = ("left_hand", "right_hand")
"""Landmark sets holding one hand's 21 points each."""


def landmark_layers(
    image_rgb: np.ndarray,
    keypoints_px: np.ndarray,
    landmarks_px: Mapping[str, np.ndarray],
    person: np.ndarray | None,
    config: LandmarkSegmentConfig,
    *,
    photo_xyxy: tuple[int, int, int, int] | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Evidence layers and counts (``face_mesh``, ``hands_found``, ``feet_found``) for one photo.

    ``keypoints_px`` is canonical ``(19, 3)``; ``landmarks_px`` may hold
    ``"face"`` (the face mesh), ``"left_hand"`` / ``"right_hand"`` (21 points
    each) and ``"pose33"`` (MediaPipe's 33 pose landmarks). Without a body
    frame (no trusted shoulders or hips) only hands and the mesh face are drawn.
    """
    shape_hw = image_rgb.shape[:2]
    box = photo_xyxy or (0, 0, shape_hw[1], shape_hw[0])
    photo = inside_box(np.ones(shape_hw, dtype=bool), box)
    kp = np.array(keypoints_px, dtype=np.float32, copy=True)
    kp[kp[:, 2] <= config.min_keypoint_confidence, 2] = 0.0
    try:
        frame = body_frame(kp)
    except ValueError:
        frame = None
    mesh = landmarks_px.get("face")
    pose33 = landmarks_px.get("pose33")
    hands = [landmarks_px[name] for name in HAND_SETS if name in landmarks_px]
    layers: dict[str, np.ndarray] = {}
    if person is not None:
        layers["person"] = np.asarray(person, dtype=bool)

    face = None
    if mesh is not None:
        face = face_from_mesh(shape_hw, mesh) & photo
    elif person is not None and pose33 is not None and frame is not None:
        face = face_above_chin(layers["person"], pose33, frame, config.min_visibility, box)
    if pose33 is not None and frame is not None:
        feet = feet_layer(
            shape_hw,
            pose33,
            frame.scale_px,
            layers.get("person"),
            margin_rel=config.feet_margin_rel,
            reach_rel=config.feet_reach_rel,
            ankle_drop=config.feet_ankle_drop,
            min_visibility=config.min_visibility,
            photo_xyxy=box,
        )
        feet &= photo
        if feet.any():
            layers["feet"] = feet
    seeds = skin_seeds(shape_hw, mesh, hands, photo)
    skin, limb_skin = skin_layers(
        image_rgb,
        seeds,
        layers.get("person"),
        chroma_quantile=config.skin.chroma_quantile,
        max_darker_sigma=config.skin.max_darker_sigma,
        limb_seeds=palm_seeds(shape_hw, hands) & photo if mesh is not None and hands else None,
    )
    # Without a face in the photo, the skin that a top edge cut below the mouth leaves (chin, neck)
    # still anchors the hair beside it; above the chin line, it and the lips are face.
    head = face
    face_cut_at_top = face is not None and bool(face[box[1]].any())
    chin_px = None
    if (face is None or not face.any()) and frame is not None and person is not None:
        head = skin_below_cut_face(layers["person"], skin, frame, box)
        if head.any():
            face, chin_px = chin_of_cut_face(head, layers["person"], frame)
    if head is not None and frame is not None and person is not None:
        hair = hair_layer(
            image_rgb,
            layers["person"],
            head,
            skin,
            kp,
            frame,
            config.hair,
            face_from_mesh=mesh is not None,
            face_cut_at_top=face_cut_at_top,
            chin_px=chin_px,
        )
        if hair.any():
            layers["hair"] = hair
            face &= ~hair
            skin &= ~hair
            limb_skin &= ~hair
    if face is not None and face.any():
        layers["face"] = face
        skin &= ~face
    if skin.any():
        layers["skin"] = skin
    if face is not None:
        limb_skin &= ~face
    if limb_skin.any():
        layers["limb_skin"] = limb_skin
    if hands:
        wrist_half_width = config.hands_wrist_half_width_rel
        layers["hands"] = (
            hands_layer(shape_hw, hands, config.hands_margin_rel, wrist_half_width, skin) & photo
        )
    if "hands" in layers and config.hands_skin_reach_rel is not None:
        layers["hands"] = hands_on_skin(
            layers["hands"],
            hands,
            skin,
            config.hands_skin_reach_rel,
            config.hands_margin_rel,
            config.hands_wrist_half_width_rel,
            image_rgb if config.hands_graph_cut else None,
        )
    if config.waist.enabled and person is not None and frame is not None and hips_trusted(kp):
        upper = above_waist(image_rgb, garment_remainder(layers), kp, frame, config.waist)
        if upper is not None:
            layers["above_waist"] = upper
    counts = {
        "face_mesh": float(mesh is not None),
        "hands_found": float(len(hands)),
        "feet_found": float(len(seen_feet(pose33, config.min_visibility, box)) if pose33 is not None else 0),
    }
    return layers, counts
