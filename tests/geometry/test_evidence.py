"""Evidence layers drawn from landmarks, on synthetic people with known parts."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
import pytest

from tests.synthetic import COLOURS, LABEL, dress_body, make_body, pose33_landmarks
from vtondata.config.segment import HairParams, WaistParams
from vtondata.geometry.evidence.face import (
    chin_of_cut_face,
    face_above_chin,
    face_from_mesh,
    skin_below_cut_face,
)
from vtondata.geometry.evidence.feet import feet_layer, seen_feet
from vtondata.geometry.evidence.hair import hair_layer
from vtondata.geometry.evidence.hands import graph_cut_hand, hand_size_px, hands_layer, hands_on_skin
from vtondata.geometry.evidence.likelihood import area_shrink, gaussian_smoothed, log_likelihood_ratio
from vtondata.geometry.evidence.pose33 import P
from vtondata.geometry.evidence.skin import palm_seeds, skin_layers, skin_seeds
from vtondata.geometry.evidence.waist import above_waist
from vtondata.geometry.keypoints import J
from vtondata.geometry.regions import body_frame


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.count_nonzero(a & b)) / max(np.count_nonzero(a | b), 1)


def _ring(centre: tuple[float, float], radius: float, count: int = 64) -> np.ndarray:
    angles = np.linspace(0, 2 * np.pi, count, endpoint=False)
    points = np.stack([centre[0] + radius * np.cos(angles), centre[1] + radius * np.sin(angles)], axis=1)
    return np.concatenate([points, np.ones((count, 1))], axis=1).astype(np.float32)


def test_face_from_mesh_is_the_points_hull_clipped_by_the_frame() -> None:
    inside = face_from_mesh((400, 300), _ring((150, 200), 60))
    assert inside.sum() == pytest.approx(np.pi * 60**2, rel=0.02)
    cut = face_from_mesh((400, 300), _ring((150, 20), 60))  # a face cut by the top edge
    whole = face_from_mesh((600, 300), _ring((150, 220), 60))  # the same face on a taller canvas
    assert cut[0].any() and not cut[90:].any()
    assert _iou(cut, whole[200:]) > 0.98


def test_face_above_chin_takes_the_head_not_the_shoulders() -> None:
    body = make_body("arms_down")
    person = body.labels != LABEL["background"]
    frame = body_frame(body.keypoints_px)
    face = face_above_chin(person, pose33_landmarks(body), frame, min_visibility=0.5)
    head = body.part("face", "hair", "head")
    assert np.count_nonzero(face & head) / np.count_nonzero(head) > 0.8
    shoulders_down = np.zeros_like(face)
    shoulders_down[int(frame.origin_px[1]) :] = True
    assert not (face & shoulders_down).any()


def test_no_fallback_face_in_a_photo_that_starts_below_the_mouth() -> None:
    """Its silhouette's top is the neck or a collar: no face (and so no hair) may grow from it."""
    body = make_body("arms_down")
    person = body.labels != LABEL["background"]
    frame = body_frame(body.keypoints_px)
    pose33 = pose33_landmarks(body)
    below_mouth = int(pose33[[P["mouth_left"], P["mouth_right"]], 1].max()) + 3
    photo = (0, below_mouth, person.shape[1], person.shape[0])
    cut = person.copy()
    cut[:below_mouth] = False  # what the pose stage keeps of the silhouette
    assert not face_above_chin(cut, pose33, frame, 0.5, photo).any()
    above_mouth = int(pose33[[P["mouth_left"], P["mouth_right"]], 1].min()) - 3
    photo = (0, above_mouth, person.shape[1], person.shape[0])
    cut = person.copy()
    cut[:above_mouth] = False
    assert face_above_chin(cut, pose33, frame, 0.5, photo).any()


def test_hand_margin_scales_with_the_hand() -> None:
    rng = np.random.default_rng(0)
    hand = np.concatenate([rng.uniform(0, 40, size=(21, 2)), np.ones((21, 1))], axis=1).astype(np.float32)
    hand[0, :2], hand[9, :2] = (0, 0), (0, 30)
    shift = np.array([100.0, 100.0, 0.0], dtype=np.float32)
    small = hands_layer((400, 400), [hand + shift], margin_rel=0.15).sum()
    large = hands_layer(
        (400, 400), [hand * np.array([2, 2, 1], dtype=np.float32) + shift], margin_rel=0.15
    ).sum()
    assert hand_size_px(hand) == pytest.approx(30.0)
    assert large / small == pytest.approx(4.0, rel=0.05)


@pytest.mark.parametrize("wrist_half_width_rel", [0.0, 0.3])
@pytest.mark.parametrize("angle_deg", [0, 35, 90, 180, 250])
def test_hand_layer_grows_to_the_fingers_and_sides_but_not_up_the_forearm(
    angle_deg: float, wrist_half_width_rel: float
) -> None:
    """Rotated to any angle, the layer ends at the line through the wrist landmark across the hand:
    no margin is kept behind it, where the forearm (or the sleeve's cuff) meets the hand, also
    with the wrist's sides added."""
    rng = np.random.default_rng(1)
    local = np.concatenate([rng.uniform(-15, 15, size=(21, 1)), rng.uniform(5, 60, size=(21, 1))], axis=1)
    local[0], local[9] = (0.0, 0.0), (0.0, 30.0)
    turn = np.deg2rad(angle_deg)
    rotation = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    centre = np.array([200.0, 200.0])
    hand = np.concatenate([local @ rotation.T + centre, np.ones((21, 1))], axis=1).astype(np.float32)
    layer = hands_layer((400, 400), [hand], margin_rel=0.3, wrist_half_width_rel=wrist_half_width_rel)
    rows, cols = np.nonzero(layer)
    along = (np.stack([cols, rows], axis=1) - centre) @ (rotation @ np.array([0.0, 1.0]))
    assert along.min() >= -1.0  # at most the rasteriser's pixel behind the wrist line
    assert along.max() > local[:, 1].max() + 0.25 * 30  # the margin past the finger tips stays
    across = (np.stack([cols, rows], axis=1) - centre) @ (rotation @ np.array([1.0, 0.0]))
    assert across.max() - across.min() > np.ptp(local[:, 0]) + 2 * 0.25 * 30  # and at the sides


def test_hand_layer_spans_the_wrist_where_it_is_skin() -> None:
    """The 21 landmarks have one point at the wrist, so their hull narrows to it and leaves the heel
    of the hand out; the wrist's sides, 0.3 palm widths either side, give the layer the wrist's
    width there, the layer still starts at the wrist line, and with a skin layer the sides add
    only skin (a cuff beside the wrist stays out)."""
    rng = np.random.default_rng(3)
    local = np.concatenate([rng.uniform(-4, 4, size=(21, 1)), rng.uniform(20, 70, size=(21, 1))], axis=1)
    local[0], local[9] = (0.0, 0.0), (0.0, 40.0)
    local[5], local[17] = (-16.0, 38.0), (16.0, 36.0)  # index and little finger knuckles: 32 px apart
    hand = np.concatenate([local + np.array([200.0, 100.0]), np.ones((21, 1))], axis=1).astype(np.float32)
    narrow = hands_layer((300, 400), [hand], margin_rel=0.15)
    wide = hands_layer((300, 400), [hand], margin_rel=0.15, wrist_half_width_rel=0.3)
    row = 100 + 3  # just past the wrist line, where the hull of the landmarks alone is narrowest
    margin = 0.15 * 40
    assert np.count_nonzero(wide[row]) >= 2 * 0.3 * 32 + 2 * margin - 2
    assert np.count_nonzero(narrow[row]) < np.count_nonzero(wide[row]) - 10
    assert not wide[: 100 - 1].any()  # nothing behind the wrist line
    assert np.array_equal(narrow, narrow & wide)
    skin = np.zeros_like(wide)
    skin[:, :200] = True  # the hand's left half is skin; right of it, a cuff
    on_skin = hands_layer((300, 400), [hand], margin_rel=0.15, wrist_half_width_rel=0.3, skin=skin)
    assert np.array_equal(on_skin, narrow | (wide & skin))
    assert np.count_nonzero(on_skin[row, :200]) == np.count_nonzero(wide[row, :200])
    assert np.count_nonzero(on_skin[row, 200:]) == np.count_nonzero(narrow[row, 200:])


def _hand_on_striped_cloth() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """An upright hand (its 21 landmarks and pixels) on cloth striped in six colours, with its
    little finger's side shaded: ``(image, landmarks, hand, shaded)``, the shaded side a strip
    about 10 px wide that a skin model misses."""
    height, width = 160, 140
    landmarks = np.zeros((21, 3), dtype=np.float32)
    landmarks[:, 2] = 1.0
    landmarks[0, :2] = (70, 30)
    landmarks[1:5, :2] = [(56, 38), (46, 50), (38, 62), (32, 74)]
    for knuckle, x in zip((5, 9, 13, 17), (52, 64, 76, 88), strict=True):
        landmarks[knuckle : knuckle + 4, :2] = [(x, 70 + 14 * joint) for joint in range(4)]
    hand = np.zeros((height, width), dtype=np.uint8)
    cv2.fillConvexPoly(hand, np.array([[56, 30], [84, 30], [92, 70], [48, 70]], np.int32), 1)
    for chain in ((0, 1, 2, 3, 4), (5, 6, 7, 8), (9, 10, 11, 12), (13, 14, 15, 16), (17, 18, 19, 20)):
        cv2.polylines(hand, [np.round(landmarks[list(chain), :2]).astype(np.int32)], False, 1, 10)
    ys, xs = np.mgrid[0:height, 0:width]
    stripes = np.array(
        [(40, 90, 170), (30, 60, 120), (200, 200, 210), (90, 40, 60), (20, 20, 30), (120, 160, 200)], np.uint8
    )
    image = stripes[((xs + ys) // 6) % len(stripes)]
    hand = hand > 0
    shaded = hand & (xs >= 86)
    image[hand] = (224, 172, 140)
    image[shaded] = (205, 156, 126)
    return image, landmarks, hand, shaded


def test_the_graph_cut_keeps_the_hand_the_skin_model_missed_and_not_the_cloth_ring() -> None:
    """A reach from the skin wide enough to keep the shaded side also keeps a ring of the cloth
    the hand touches; a short reach loses the shaded side. The graph cut keeps what has the hand's
    colours, with the short reach."""
    image, landmarks, hand, shaded = _hand_on_striped_cloth()
    skin = hand & ~shaded
    hull = hands_layer(hand.shape, [landmarks], margin_rel=0.15)
    cloth = hull & ~hand

    def kept(reach_rel: float, with_image: bool) -> tuple[float, float]:
        layer = hands_on_skin(hull, [landmarks], skin, reach_rel, 0.15, 0.0, image if with_image else None)
        return _share_of(layer, shaded), _share_of(layer, cloth)

    shaded_short, cloth_short = kept(0.1, with_image=False)
    shaded_cut, cloth_cut = kept(0.1, with_image=True)
    shaded_wide, cloth_wide = kept(0.2, with_image=False)
    assert shaded_short < 0.6 and shaded_wide > 0.9  # what each reach alone keeps
    assert shaded_cut > 0.8
    assert cloth_cut < cloth_wide - 0.1
    assert cloth_cut >= cloth_short  # the cut only adds to the short reach


def test_the_graph_cut_gives_the_same_hand_whatever_the_random_state() -> None:
    """GrabCut's k-means draws from OpenCV's per-thread random generator, which other code (or an
    earlier cut) moves on; every build must still write the same bytes, in any thread."""
    image, landmarks, hand, shaded = _hand_on_striped_cloth()
    hull = hands_layer(hand.shape, [landmarks], margin_rel=0.15)
    skin = hand & ~shaded
    likely = hull & (cv2.distanceTransform((~skin).view(np.uint8), cv2.DIST_L2, 3) <= 4)
    cuts = []
    for seed in (1, 12345, 987654321):
        cv2.setRNGSeed(seed)
        cv2.randu(np.zeros((64, 64), np.float32), 0, 1)  # moves the generator on
        cuts.append(graph_cut_hand(image, hull, likely, skin, landmarks[:, :2]))
    with ThreadPoolExecutor(max_workers=2) as pool:
        cuts += list(
            pool.map(lambda _: graph_cut_hand(image, hull, likely, skin, landmarks[:, :2]), range(4))
        )
    assert cuts[0].any()
    assert all(np.array_equal(cut, cuts[0]) for cut in cuts)


def _share_of(layer: np.ndarray, part: np.ndarray) -> float:
    return np.count_nonzero(layer & part) / np.count_nonzero(part)


def _hand_in_a_pocket() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Landmarks of an upright hand, its grown hull and the skin a photo shows of it: the fingers'
    lower half is in a pocket (cloth), and a shadow on the back of the hand is missed by the skin
    model (a hole)."""
    rng = np.random.default_rng(2)
    local = np.concatenate([rng.uniform(-20, 20, size=(21, 1)), rng.uniform(5, 80, size=(21, 1))], axis=1)
    local[0], local[9] = (0.0, 0.0), (0.0, 40.0)
    hand = np.concatenate([local + np.array([200.0, 100.0]), np.ones((21, 1))], axis=1).astype(np.float32)
    hull = hands_layer((300, 400), [hand], margin_rel=0.15)
    skin = np.zeros_like(hull)
    skin[100:145, 178:223] = True  # the back of the hand, above the pocket's edge
    skin[112:132, 190:210] = False  # a shadow the skin model misses, wider than the reach
    return hand, hull, skin


def test_hands_are_cut_to_the_skin_near_them_but_keep_missed_shadows() -> None:
    hand, hull, skin = _hand_in_a_pocket()
    kept = hands_on_skin(hull, [hand], skin, reach_rel=0.2, margin_rel=0.15)
    assert not (kept & ~hull).any()
    assert kept[skin & hull].all() and kept[112:132, 190:210].all()  # the shadow stays hand
    pocket = hull.copy()
    pocket[: 145 + 8 + 1] = False  # 8 px = the reach (0.2 x a 40 px hand)
    assert pocket.any() and not (kept & pocket).any()  # the cloth the fingers hide in is garment


def test_a_hand_with_little_skin_is_kept_whole() -> None:
    """A glove, or a hand the skin model missed, is still a hand."""
    hand, hull, skin = _hand_in_a_pocket()
    glove = np.zeros_like(skin)
    glove[100:104, 195:200] = True  # a few pixels of skin: well under MIN_SKIN_SHARE of the region
    np.testing.assert_array_equal(hands_on_skin(hull, [hand], glove, 0.2, 0.15), hull)
    np.testing.assert_array_equal(hands_on_skin(hull, [hand], np.zeros_like(skin), 0.2, 0.15), hull)


def test_feet_need_a_seen_toe_and_heel_or_ankle() -> None:
    body = make_body("arms_down")
    pose33 = pose33_landmarks(body)
    true_feet = body.part("foot")

    def feet_covered(points: np.ndarray) -> float:
        feet = feet_layer(
            (1024, 768),
            points,
            body.scale_px,
            margin_rel=0.07,
            reach_rel=0,
            ankle_drop=0.3,
            min_visibility=0.5,
        )
        return np.count_nonzero(feet & true_feet) / np.count_nonzero(true_feet)

    assert feet_covered(pose33) > 0.6
    heels = [P["left_heel"], P["right_heel"]]
    ankles = [P["left_ankle"], P["right_ankle"]]
    toes = [P["left_foot_index"], P["right_foot_index"]]
    hidden_heels = pose33.copy()
    hidden_heels[heels, 2] = 0.45  # a front view: the foot hides its own heel
    assert feet_covered(hidden_heels) == feet_covered(pose33)
    hidden_toes = pose33.copy()
    hidden_toes[toes, 2] = 0.1  # under a long skirt
    assert feet_covered(hidden_toes) == 0
    only_toes = hidden_heels.copy()
    only_toes[ankles, 2] = 0.1
    assert feet_covered(only_toes) == 0


def test_feet_take_the_shoe_from_the_silhouette_below_the_ankle() -> None:
    """Landmarks give a line of points; the silhouette near it gives the shoe's width, not a hem above it."""
    body = make_body("arms_down")
    pose33 = pose33_landmarks(body)
    true_feet = body.part("foot")
    options = {"margin_rel": 0.07, "ankle_drop": 0.3, "min_visibility": 0.5}
    hull_only = feet_layer((1024, 768), pose33, body.scale_px, reach_rel=0, **options)
    for garment in ("trousers_loose", "long_skirt_loose", "shorts_tight"):
        dressed = dress_body(body, garment)
        feet = feet_layer((1024, 768), pose33, body.scale_px, dressed.person, reach_rel=0.15, **options)
        share = np.count_nonzero(feet & true_feet) / np.count_nonzero(true_feet)
        assert share > 0.94 > np.count_nonzero(hull_only & true_feet) / np.count_nonzero(true_feet) + 0.2
        added = feet & ~hull_only
        assert not (added & ~dressed.person).any()
        # The body stands upright, so "past the ankle point" is "below it" for both feet.
        assert np.nonzero(added)[0].min() >= min(_ankle_points_y(pose33, 0.3)) - 1, garment
    below_frame = pose33.copy()
    below_frame[:, 1] += 2000  # a half-body photo whose model still rates the feet as seen
    person = body.labels != LABEL["background"]
    assert not feet_layer((1024, 768), below_frame, body.scale_px, person, reach_rel=0.15, **options).any()
    assert seen_feet(below_frame, 0.5, (0, 0, 768, 1024)) == []
    assert len(seen_feet(pose33, 0.5, (0, 0, 768, 1024))) == 2
    # Toes the model places in a letterbox bar under the photo are not in the photo either.
    above_toes = (0, 0, 768, int(pose33[[P["left_foot_index"], P["right_foot_index"]], 1].min()) - 1)
    assert seen_feet(pose33, 0.5, above_toes) == []
    options["photo_xyxy"] = above_toes
    assert not feet_layer((1024, 768), pose33, body.scale_px, person, reach_rel=0.15, **options).any()


def _ankle_points_y(pose33: np.ndarray, ankle_drop: float) -> list[float]:
    tops = []
    for side in ("left", "right"):
        ankle, heel, toe = (pose33[P[f"{side}_{name}"], :2] for name in ("ankle", "heel", "foot_index"))
        tops.append(float((ankle + ankle_drop * ((heel + toe) / 2 - ankle))[1]))
    return tops


def test_skin_model_from_face_seeds_finds_limbs_not_garments() -> None:
    dressed = dress_body(make_body("arms_out"), "short_sleeve_tight")
    seeds = dressed.face.copy()
    skin, _ = skin_layers(
        dressed.image_rgb, seeds, dressed.person, chroma_quantile=0.99, max_darker_sigma=4.0
    )
    bare = dressed.skin & ~dressed.face
    assert np.count_nonzero(skin & bare) / np.count_nonzero(bare) > 0.95
    garments = dressed.body.labels != dressed.labels  # anything the garments cover
    covered = np.isin(dressed.labels, [LABEL["upper_garment"], LABEL["lower_garment"]])
    assert np.count_nonzero(skin & covered) / np.count_nonzero(covered) < 0.01
    assert garments.any()
    no_seeds = skin_layers(
        dressed.image_rgb, np.zeros_like(seeds), None, chroma_quantile=0.99, max_darker_sigma=4.0
    )
    assert not any(layer.any() for layer in no_seeds)


@pytest.mark.parametrize("shift", [0, 1])
def test_skin_drawn_in_the_persons_box_is_the_skin_of_the_whole_photo(shift: int) -> None:
    """The skin layers are computed at half resolution in the box around the person only; the box
    starts on the halving's 2x2 blocks, so the layers equal those of the whole photo, also for a
    person whose box starts on an odd pixel."""
    dressed = dress_body(make_body("arms_out"), "short_sleeve_tight")
    image, person, face = (
        np.roll(a, shift, axis=(0, 1)) for a in (dressed.image_rgb, dressed.person, dressed.face)
    )
    palms = np.roll(dressed.hands, shift, axis=(0, 1))
    in_box = skin_layers(image, face, person, chroma_quantile=0.99, max_darker_sigma=4.0, limb_seeds=palms)
    whole = skin_layers(image, face, None, chroma_quantile=0.99, max_darker_sigma=4.0, limb_seeds=palms)
    assert in_box[0].any() and in_box[1].any()
    for boxed, full in zip(in_box, whole, strict=True):
        np.testing.assert_array_equal(boxed, full & person)


def test_skin_seeds_fall_back_to_the_palms_when_the_frame_cuts_the_cheeks() -> None:
    """A face cut above the mouth still has its mesh, but its cheeks and forehead lie past the edge."""
    mesh = np.zeros((478, 3), dtype=np.float32)
    mesh[:, 0] = np.linspace(60, 140, 478)
    mesh[:, 1] = np.linspace(-80, 10, 478)  # the face from 80 px above the photo to 10 px into it
    hand = np.zeros((21, 3), dtype=np.float32)
    hand[:, :2] = np.array([100.0, 150.0]) + np.random.default_rng(0).normal(0, 8, (21, 2))
    photo = np.ones((200, 200), dtype=bool)
    seeds = skin_seeds((200, 200), mesh, [hand], photo)
    np.testing.assert_array_equal(seeds, palm_seeds((200, 200), [hand]))
    mesh[:, 1] += 120  # the whole face inside: its cheeks and forehead seed the model
    seeds = skin_seeds((200, 200), mesh, [hand], photo)
    assert seeds.any() and not (seeds & palm_seeds((200, 200), [hand])).any()


def _arms_in_shade(dressed) -> np.ndarray:
    """The dressed body's photo with its arms and hands far darker than the face (a key light on
    the face), checker texture kept."""
    image = dressed.image_rgb.astype(np.int16)
    limbs = np.isin(dressed.labels, [LABEL["forearm"], LABEL["upper_arm"], LABEL["hand"]])
    image[limbs] = image[limbs] * 0.75
    return np.clip(image, 0, 255).astype(np.uint8)


def _palms(dressed) -> np.ndarray:
    """Seed discs inside the painted hands, as the palm landmarks would place them."""
    seeds = np.zeros_like(dressed.hands)
    ys, xs = np.nonzero(dressed.hands)
    for side in (xs < dressed.hands.shape[1] / 2, xs >= dressed.hands.shape[1] / 2):
        cy, cx = int(np.median(ys[side])), int(np.median(xs[side]))
        seeds[cy - 6 : cy + 7, cx - 6 : cx + 7] = True
    return seeds & dressed.hands


def test_palms_find_the_arms_skin_a_face_in_another_light_misses() -> None:
    dressed = dress_body(make_body("arms_out"), "short_sleeve_tight")
    image = _arms_in_shade(dressed)
    arms = np.isin(dressed.labels, [LABEL["forearm"], LABEL["upper_arm"]])
    options = {"chroma_quantile": 0.99, "max_darker_sigma": 4.0}
    from_face, _ = skin_layers(image, dressed.face, dressed.person, **options)
    with_palms = np.logical_or(
        *skin_layers(image, dressed.face, dressed.person, limb_seeds=_palms(dressed), **options)
    )
    assert np.count_nonzero(from_face & arms) / np.count_nonzero(arms) < 0.5
    assert np.count_nonzero(with_palms & arms) / np.count_nonzero(arms) > 0.95
    covered = np.isin(dressed.labels, [LABEL["upper_garment"], LABEL["lower_garment"]])
    assert np.count_nonzero(with_palms & covered) / np.count_nonzero(covered) < 0.01


def test_a_palm_on_a_garment_teaches_no_skin() -> None:
    """A hand in a pocket puts the palm's seeds on cloth, far from the face's colours: left out."""
    dressed = dress_body(make_body("arms_out"), "short_sleeve_tight")
    options = {"chroma_quantile": 0.99, "max_darker_sigma": 4.0}
    on_cloth = np.zeros_like(dressed.person)
    ys, xs = np.nonzero(dressed.labels == LABEL["lower_garment"])
    on_cloth[ys.min() + 10 : ys.min() + 30, int(np.median(xs)) - 10 : int(np.median(xs)) + 10] = True
    face_skin, limb_skin = skin_layers(
        dressed.image_rgb, dressed.face, dressed.person, limb_seeds=on_cloth, **options
    )
    np.testing.assert_array_equal(
        face_skin, skin_layers(dressed.image_rgb, dressed.face, dressed.person, **options)[0]
    )
    assert not limb_skin.any()


def _long_hair(dressed, colour) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The dressed image with hair falling from the head beside the face and over both shoulders,
    that hair's mask and the silhouette it widens."""
    body = dressed.body
    s, (x0, y0) = body.scale_px, body.origin_px
    hair = dressed.hair.copy()
    ys, xs = np.mgrid[0 : hair.shape[0], 0 : hair.shape[1]]
    for side in (-1, 1):
        hair |= (np.abs(xs - (x0 + side * 0.30 * s)) < 0.1 * s) & (ys > y0 - 0.8 * s) & (ys < y0 + 0.6 * s)
    hair &= ~dressed.face
    image = dressed.image_rgb.copy()
    image[hair] = colour
    return image, hair, dressed.person | hair


@pytest.mark.parametrize(
    ("garment_colour", "min_iou"),
    [(COLOURS["upper_garment"], 0.6), (COLOURS["hair"], 0.0)],
    ids=["blue-garment", "garment-as-dark-as-the-hair"],
)
def test_hair_follows_long_hair_and_never_takes_the_torso(garment_colour, min_iou) -> None:
    dressed = dress_body(make_body("arms_down"), "long_sleeve_tight")
    image, hair_truth, person = _long_hair(dressed, COLOURS["hair"])
    image[dressed.garment_mask & ~hair_truth] = garment_colour
    skin, _ = skin_layers(image, dressed.face, person, chroma_quantile=0.99, max_darker_sigma=4.0)
    kp = dressed.keypoints_px
    hair = hair_layer(
        image, person, dressed.face, skin, kp, body_frame(kp), HairParams(), face_from_mesh=True
    )
    assert _iou(hair, hair_truth) >= min_iou
    on_head = dressed.hair  # the hair above and around the face is always found
    assert np.count_nonzero(hair & on_head) / np.count_nonzero(on_head) > 0.9
    torso = dressed.garment_mask & ~hair_truth
    assert np.count_nonzero(hair & torso) / np.count_nonzero(torso) < 0.05
    assert not (hair & dressed.face).any()


def test_no_face_no_hair() -> None:
    dressed = dress_body(make_body("arms_down"), "long_sleeve_tight")
    kp = dressed.keypoints_px
    empty = np.zeros_like(dressed.face)
    hair = hair_layer(
        dressed.image_rgb, dressed.person, empty, empty, kp, body_frame(kp), HairParams(), face_from_mesh=True
    )
    assert not hair.any()


@pytest.mark.parametrize(
    ("hair_colour", "min_found"),
    [(COLOURS["hair"], 0.8), (tuple(round(0.85 * c) for c in COLOURS["head"]), 0.4)],
    ids=["dark-hair", "hair-the-skin-model-takes"],
)
def test_hair_is_found_beside_a_face_the_frame_cuts_at_the_eyes(hair_colour, min_found) -> None:
    """Nothing lies above a face cut by the top edge: the seeds beside the face must find the hair,
    also hair of the skin's own hue, which the skin layer holds (light brown, blond)."""
    dressed = dress_body(make_body("arms_down"), "long_sleeve_tight")
    image, hair_truth, person = _long_hair(dressed, hair_colour)
    face_rows = np.flatnonzero(dressed.face.any(axis=1))
    top = int(face_rows[0] + 0.4 * (face_rows[-1] - face_rows[0]))  # the eyes' line
    kp = dressed.keypoints_px.copy()
    kp[:, 1] -= top
    image, hair_truth, person, face = image[top:], hair_truth[top:], person[top:], dressed.face[top:]
    skin, _ = skin_layers(image, face, person, chroma_quantile=0.99, max_darker_sigma=4.0)
    hair = hair_layer(image, person, face, skin, kp, body_frame(kp), HairParams(), face_from_mesh=True)
    assert np.count_nonzero(hair & hair_truth) / np.count_nonzero(hair_truth) > min_found
    torso = dressed.garment_mask[top:] & ~hair_truth
    assert np.count_nonzero(hair & torso) / np.count_nonzero(torso) < 0.05
    assert not (hair & face).any()


def test_hair_beside_the_jaw_of_a_face_the_frame_cuts_is_found() -> None:
    """A face cut at the nose whose hair falls from below the cheeks only (tucked behind the ears
    above): beside the face's top 0.6, where a whole face's seeds lie, there is no hair, so only
    the seeds that run down to the chin beside a cut face find it."""
    dressed = dress_body(make_body("arms_down"), "long_sleeve_tight")
    image, hair_truth, person = _long_hair(dressed, COLOURS["hair"])
    face_rows = np.flatnonzero(dressed.face.any(axis=1))
    top = int(face_rows[0] + 0.5 * (face_rows[-1] - face_rows[0]))
    kp = dressed.keypoints_px.copy()
    kp[:, 1] -= top
    image, hair_truth, person, face = image[top:], hair_truth[top:], person[top:], dressed.face[top:]
    tucked = hair_truth.copy()
    tucked[int(0.7 * (face_rows[-1] - top)) :] = False
    image[tucked] = COLOURS["background"]
    person, hair_truth = person & ~tucked, hair_truth & ~tucked
    skin, _ = skin_layers(image, face, person, chroma_quantile=0.99, max_darker_sigma=4.0)

    def hair(face_cut_at_top: bool) -> np.ndarray:
        return hair_layer(
            image, person, face, skin, kp, body_frame(kp), HairParams(),
            face_from_mesh=True, face_cut_at_top=face_cut_at_top,
        )  # fmt: skip

    assert not (hair(False) & hair_truth).any()
    found = hair(True)
    assert np.count_nonzero(found & hair_truth) / np.count_nonzero(hair_truth) > 0.7
    torso = dressed.garment_mask[top:] & ~hair_truth
    assert np.count_nonzero(found & torso) / np.count_nonzero(torso) < 0.05
    assert not (found & face).any()


def _cut_below_the_mouth(dressed, image, hair_truth, person, share: float):
    """Everything from the top edge down to ``share`` of the face's height (0.9: just above the chin)
    cut off, with the keypoints moved along."""
    face_rows = np.flatnonzero(dressed.face.any(axis=1))
    top = int(face_rows[0] + share * (face_rows[-1] - face_rows[0]))
    kp = dressed.keypoints_px.copy()
    kp[:, 1] -= top
    return top, kp, image[top:], hair_truth[top:], person[top:]


def test_hair_beside_a_face_framed_at_the_mouth_starts_from_the_chin_and_neck_skin() -> None:
    """Framed at the mouth, no face mesh is found and no face layer drawn; the chin's and the neck's
    skin at the top edge anchor the hair falling beside them, and are not themselves a face."""
    dressed = dress_body(make_body("arms_down"), "long_sleeve_tight")
    image, hair_truth, person = _long_hair(dressed, COLOURS["hair"])
    top, kp, image, hair_truth, person = _cut_below_the_mouth(dressed, image, hair_truth, person, 0.9)
    frame = body_frame(kp)
    skin, _ = skin_layers(image, dressed.hands[top:], person, chroma_quantile=0.99, max_darker_sigma=4.0)
    box = (0, 0, image.shape[1], image.shape[0])
    head_skin = skin_below_cut_face(person, skin, frame, box)
    assert head_skin[0].any() and not (head_skin & hair_truth).any()
    assert not (head_skin & dressed.garment_mask[top:]).any()
    hair = hair_layer(image, person, head_skin, skin, kp, frame, HairParams(), face_from_mesh=False)
    assert np.count_nonzero(hair & hair_truth) / np.count_nonzero(hair_truth) > 0.75
    torso = dressed.garment_mask[top:] & ~hair_truth
    assert np.count_nonzero(hair & torso) / np.count_nonzero(torso) < 0.01
    assert not (hair & head_skin).any()


@pytest.mark.parametrize("share", [0.6, 0.75])
def test_the_chin_left_by_a_top_edge_below_the_mouth_is_face_and_the_neck_is_not(share: float) -> None:
    """The skin at the top edge of a photo framed between the mouth and the chin is chin above the
    chin line (the synthetic chin lies 0.34 s above the shoulder line, the line at 0.35 s) and neck
    below it; only the chin, and the neck beside the jaw, is face."""
    dressed = dress_body(make_body("arms_down"), "long_sleeve_tight")
    top, kp, image, face, person = _cut_below_the_mouth(
        dressed, dressed.image_rgb, dressed.face, dressed.person, share
    )
    skin, _ = skin_layers(image, dressed.hands[top:], person, chroma_quantile=0.99, max_darker_sigma=4.0)
    head_skin = skin_below_cut_face(person, skin, body_frame(kp), (0, 0, image.shape[1], image.shape[0]))
    chin, _ = chin_of_cut_face(head_skin, person, body_frame(kp))
    assert chin[0].any()
    assert np.count_nonzero(chin & face) / np.count_nonzero(face) > 0.85  # the chin
    chin_bottom = np.flatnonzero(face.any(axis=1)).max()
    assert not chin[chin_bottom + 1 :].any()  # nothing of the neck below it
    assert head_skin[chin_bottom + 1 :].any()


def test_a_top_edge_below_the_chin_leaves_no_face() -> None:
    dressed = dress_body(make_body("arms_down"), "long_sleeve_tight")
    top, kp, image, _, person = _cut_below_the_mouth(
        dressed, dressed.image_rgb, dressed.face, dressed.person, 1.1
    )
    skin, _ = skin_layers(image, dressed.hands[top:], person, chroma_quantile=0.99, max_darker_sigma=4.0)
    head_skin = skin_below_cut_face(person, skin, body_frame(kp), (0, 0, image.shape[1], image.shape[0]))
    assert head_skin[0].any()  # the neck's skin reaches the edge
    face, _ = chin_of_cut_face(head_skin, person, body_frame(kp))
    assert not face.any()


@pytest.mark.parametrize(("lips_height_rel", "from_lips"), [(0.05, True), (0.2, False)])
def test_lips_at_the_top_edge_place_the_chin_line(lips_height_rel: float, from_lips: bool) -> None:
    """Lips cut by the top edge put the chin 0.1 s below their lowest pixel, wherever the shoulders
    say it lies; a non-skin block too tall for lips (a chin the skin model missed) is no lips, and
    the line stays 0.35 s above the shoulders."""
    dressed = dress_body(make_body("arms_down"), "long_sleeve_tight")
    s, x0 = dressed.body.scale_px, dressed.body.origin_px[0]
    face_rows = np.flatnonzero(dressed.face.any(axis=1))
    lips_top = round(face_rows[-1] - 0.2 * s)  # the lips' bottom 0.15 s above the synthetic chin
    lips_bottom = lips_top + round(lips_height_rel * s)
    image = dressed.image_rgb.copy()
    image[lips_top:lips_bottom, round(x0 - 0.05 * s) : round(x0 + 0.05 * s)] = (170, 60, 70)
    top = lips_top + 2  # the edge cuts through the lips
    kp = dressed.keypoints_px.copy()
    kp[:, 1] -= top
    image, person = image[top:], dressed.person[top:]
    skin, _ = skin_layers(image, dressed.hands[top:], person, chroma_quantile=0.99, max_darker_sigma=4.0)
    frame = body_frame(kp)
    head_skin = skin_below_cut_face(person, skin, frame, (0, 0, image.shape[1], image.shape[0]))
    face, chin_px = chin_of_cut_face(head_skin, person, frame)
    if from_lips:
        corners = np.array([[x0 - 0.05 * s, lips_bottom - 1 - top], [x0 + 0.05 * s, lips_bottom - 1 - top]])
        expected = float(((corners - frame.origin_px) @ frame.down).max()) + 0.1 * s
        assert abs(chin_px - expected) < 2, (chin_px, expected)
        lips = np.zeros_like(face)
        lips[: lips_bottom - top, round(x0 - 0.05 * s) : round(x0 + 0.05 * s)] = True
        assert face[lips].all()  # the lips, no skin, are face
    else:
        assert chin_px == pytest.approx(-0.35 * s)


def test_a_collar_at_the_top_edge_anchors_no_hair() -> None:
    """A top edge across a turtleneck's collar leaves no skin at the edge, so nothing there is taken
    for what is left of a head."""
    dressed = dress_body(make_body("arms_down"), "long_sleeve_tight")
    image = dressed.image_rgb.copy()
    s, (x0, y0) = dressed.body.scale_px, dressed.body.origin_px
    ys, xs = np.mgrid[0 : image.shape[0], 0 : image.shape[1]]
    neck = dressed.person & (ys < y0) & (ys > y0 - 0.45 * s) & (np.abs(xs - x0) < 0.2 * s) & ~dressed.face
    image[neck] = COLOURS["upper_garment"]
    top, kp, image, _, person = _cut_below_the_mouth(dressed, image, neck, dressed.person, 1.05)
    skin, _ = skin_layers(image, dressed.hands[top:], person, chroma_quantile=0.99, max_darker_sigma=4.0)
    assert person[0].any()
    assert not skin_below_cut_face(person, skin, body_frame(kp), (0, 0, image.shape[1], image.shape[0])).any()


def test_hair_strands_are_told_from_isotropic_cloth_of_the_same_colours() -> None:
    """Strands are an oriented texture, lace or knit an isotropic one: painted in the same two tones
    (whose mean is the face's skin), only the texture evidence tells the hair from the top."""
    dressed = dress_body(make_body("arms_down"), "long_sleeve_tight")
    image, hair_truth, person = _long_hair(dressed, COLOURS["hair"])
    ys, xs = np.mgrid[0 : image.shape[0], 0 : image.shape[1]]
    skin_rgb = np.array(COLOURS["head"], dtype=np.float64)
    strands = np.where((xs // 2) % 2 == 0, 0.75, 1.25)  # vertical strands two pixels wide
    lace = np.where((xs // 2 + ys // 2) % 2 == 0, 0.75, 1.25)  # a checker of the same tones
    all_hair = hair_truth | dressed.hair
    torso = dressed.garment_mask & ~hair_truth
    image[all_hair] = np.clip(strands[all_hair, None] * skin_rgb, 0, 255).astype(np.uint8)
    image[torso] = np.clip(lace[torso, None] * skin_rgb, 0, 255).astype(np.uint8)
    skin, _ = skin_layers(image, dressed.face, person, chroma_quantile=0.99, max_darker_sigma=4.0)
    kp = dressed.keypoints_px

    def hair(texture_weight: float) -> np.ndarray:
        params = HairParams(texture_weight=texture_weight)
        return hair_layer(image, person, dressed.face, skin, kp, body_frame(kp), params, face_from_mesh=True)

    def found(layer: np.ndarray) -> float:
        return np.count_nonzero(layer & hair_truth) / np.count_nonzero(hair_truth)

    with_texture, colour_only = hair(HairParams().texture_weight), hair(0.0)
    assert found(with_texture) > 0.8
    assert found(colour_only) < found(with_texture) - 0.15
    assert np.count_nonzero(with_texture & torso) / np.count_nonzero(torso) < 0.01


def test_hair_beside_the_neck_is_found_when_the_face_is_not_above_the_neck_base() -> None:
    """A head tilted or turned aside puts the face's axis beside the neck base: the neck's column
    runs from the chin to the neck base, so the strand hanging under the face's side stays hair."""
    dressed = dress_body(make_body("arms_down"), "long_sleeve_tight")
    s, (x0, y0) = dressed.body.scale_px, dressed.body.origin_px
    image, hair_truth, person = _long_hair(dressed, COLOURS["hair"])
    shift = round(0.22 * s)
    head = dressed.face | dressed.hair
    moved_head = np.roll(head, shift, axis=1)
    face = np.roll(dressed.face, shift, axis=1)
    moved = image.copy()
    moved[head] = COLOURS["background"]
    moved[moved_head] = np.roll(image, shift, axis=1)[moved_head]
    person = (person & ~head) | moved_head
    kp = dressed.keypoints_px.copy()
    kp[[J["nose"], J["left_eye"], J["right_eye"], J["left_ear"], J["right_ear"]], 0] += shift
    skin, _ = skin_layers(moved, face, person, chroma_quantile=0.99, max_darker_sigma=4.0)
    hair = hair_layer(moved, person, face, skin, kp, body_frame(kp), HairParams(), face_from_mesh=True)
    ys, xs = np.mgrid[0 : moved.shape[0], 0 : moved.shape[1]]
    strand = hair_truth & (np.abs(xs - (x0 + 0.30 * s)) < 0.1 * s) & (ys > y0 - 0.3 * s)  # under the face
    assert np.count_nonzero(hair & strand) / np.count_nonzero(strand) > 0.6
    torso = dressed.garment_mask & ~hair_truth
    assert np.count_nonzero(hair & torso) / np.count_nonzero(torso) < 0.01
    assert not (hair & face).any()


def _garments_left(dressed) -> np.ndarray:
    """What the silhouette holds besides the body-part layers: the parse map's garments."""
    return dressed.person & ~(dressed.face | dressed.hair | dressed.hands | dressed.feet | dressed.skin)


def _above_waist(dressed, image_rgb=None, remainder=None):
    kp = dressed.keypoints_px
    return above_waist(
        dressed.image_rgb if image_rgb is None else image_rgb,
        _garments_left(dressed) if remainder is None else remainder,
        kp,
        body_frame(kp),
        WaistParams(),
    )


def _hip_line_split(dressed) -> np.ndarray:
    rows = np.arange(dressed.person.shape[0])[:, None]
    return _garments_left(dressed) & (rows < dressed.keypoints_px[J["left_hip"], 1])


@pytest.mark.parametrize("garment", ["short_sleeve_tight", "long_sleeve_loose"])
def test_the_waist_follows_the_top_and_its_sleeves_past_the_hip_line(garment) -> None:
    # The tops end below the hip line, and long sleeves hang past it.
    dressed = dress_body(make_body("arms_down"), garment)
    upper = _above_waist(dressed)
    assert upper is not None
    top = dressed.labels == LABEL["upper_garment"]
    found = upper & _garments_left(dressed)
    assert _iou(found, top) > 0.97
    assert _iou(found, top) > _iou(_hip_line_split(dressed), top) + 0.03


def test_a_top_and_bottom_of_one_colour_are_cut_at_the_hip_line() -> None:
    dressed = dress_body(make_body("arms_down"), "short_sleeve_tight")
    image = dressed.image_rgb.astype(np.int16)
    bottom = dressed.labels == LABEL["lower_garment"]
    image[bottom] += np.subtract(COLOURS["upper_garment"], COLOURS["lower_garment"]).astype(np.int16)
    upper = _above_waist(dressed, image_rgb=np.clip(image, 0, 255).astype(np.uint8))
    assert upper is not None
    assert _iou(upper & _garments_left(dressed), _hip_line_split(dressed)) > 0.97


def test_a_print_of_the_bottom_colour_on_the_top_stays_top() -> None:
    dressed = dress_body(make_body("arms_down"), "short_sleeve_tight")
    frame = body_frame(dressed.keypoints_px)
    x0, y0 = frame.origin_px
    s = frame.scale_px
    patch = np.zeros_like(dressed.person)
    patch[int(y0 + 0.95 * s) : int(y0 + 1.2 * s), int(x0 - 0.15 * s) : int(x0 + 0.15 * s)] = True
    image = dressed.image_rgb.copy()
    image[patch] = COLOURS["lower_garment"]
    upper = _above_waist(dressed, image_rgb=image)
    assert upper is not None
    assert np.all(upper[patch])


def test_no_waist_without_the_bottom_to_learn_from() -> None:
    """A photo that ends at the hips: the parse map keeps the hip line."""
    dressed = dress_body(make_body("arms_down"), "short_sleeve_tight")
    remainder = _garments_left(dressed)
    remainder[int(dressed.keypoints_px[J["left_hip"], 1]) + 10 :] = False
    assert _above_waist(dressed, remainder=remainder) is None


def test_area_shrink_halves_first_and_keeps_the_averages() -> None:
    rng = np.random.default_rng(3)
    image = cv2.GaussianBlur(rng.integers(0, 256, size=(1024, 768, 3), dtype=np.uint8), (0, 0), 4)
    direct = cv2.resize(image, (154, 205), interpolation=cv2.INTER_AREA).astype(np.int16)
    shrunk = area_shrink(image, (205, 154))
    assert shrunk.shape == (205, 154, 3)
    assert np.abs(shrunk.astype(np.int16) - direct).mean() < 1.0
    np.testing.assert_array_equal(
        area_shrink(image, (700, 600)), cv2.resize(image, (600, 700), interpolation=cv2.INTER_AREA)
    )


def test_log_likelihood_ratio_favours_the_class_whose_seeds_share_the_bin() -> None:
    index = np.array([[0, 0, 1, 1], [2, 2, 3, 3]])
    seeds_a = np.array([[True, True, False, False], [False, False, False, False]])
    seeds_b = np.array([[False, False, True, True], [False, False, False, False]])
    everywhere = np.ones_like(seeds_a)
    ratio = log_likelihood_ratio(index, (4,), seeds_a, seeds_b, everywhere, sigma_bins=0.5).reshape(2, 4)
    assert ratio[0, 0] > 1 and ratio[0, 2] < -1
    assert abs(ratio[1, 3]) < abs(ratio[0, 0])  # a bin neither class saw says little


@pytest.mark.parametrize(("shape", "sigma"), [((16, 16, 16), 1.0), ((6, 4), 0.7), ((3,), 2.0)])
def test_gaussian_smoothing_matches_scipy_with_nothing_past_the_edges(shape, sigma) -> None:
    from scipy.ndimage import gaussian_filter

    counts = np.random.default_rng(5).integers(0, 40, size=shape).astype(np.float64)
    smoothed = gaussian_smoothed(counts, sigma)
    np.testing.assert_allclose(smoothed, gaussian_filter(counts, sigma=sigma, mode="constant"), atol=1e-12)
    assert smoothed.sum() < counts.sum()  # mass near the edges spills out


def test_the_evidence_layers_do_not_import_scipy() -> None:
    """scipy.ndimage costs about 0.3 s of CPU to import in every process that builds."""
    import subprocess
    import sys

    code = (
        "import sys, numpy as np\n"
        "from vtondata.geometry.evidence import hair, hands, likelihood, skin, waist\n"
        "index = np.arange(8) % 4\n"
        "likelihood.log_likelihood_ratio(index, (4,), index < 2, index >= 2, index >= 0, 1.0)\n"
        "block = np.ones((9, 9), bool)\n"
        "hands.hands_on_skin(block, [np.full((21, 3), 4.0)], block, 0.1, 0.1)\n"
        "print(any(name.startswith('scipy') for name in sys.modules))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"
