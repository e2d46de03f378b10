"""The mask hides the old garment's form: every garment variant of a category gives the same mask.

For each synthetic pose and category, masks are drawn for every garment
variant twice: from keypoints, the variant's silhouette and its garment ground
truth (what the SAM2 recipe gives), and from keypoints and silhouette alone
(what the offline recipe gives). All of them must agree pairwise (IoU >= 0.97),
cover the garment, and keep the face, hands and feet.
"""

from __future__ import annotations

import itertools
from functools import cache

import numpy as np
import pytest

from tests.synthetic import GARMENTS, POSES, DressedBody, dress_body, landmark_feet, make_body
from vtondata.config.mask import MaskConfig
from vtondata.geometry import regions
from vtondata.geometry.agnostic import agnostic_mask, trusted_keypoints

MIN_IOU = 0.97
CASES = [(category, pose) for category in GARMENTS for pose in POSES]
PARAMS = MaskConfig()


@cache
def _variants(category: str, pose: str) -> tuple[DressedBody, ...]:
    body = make_body(pose)
    return tuple(dress_body(body, garment) for garment in GARMENTS[category])


@cache
def _masks(category: str, pose: str) -> dict[tuple[str, bool], np.ndarray]:
    """``(garment, garment layer given?) -> mask`` for every variant."""
    params = PARAMS.for_category(category)
    return {
        (dressed.garment, with_garment): agnostic_mask(
            dressed.size_wh, dressed.keypoints_px, dressed.layers(garment=with_garment), category, params
        )
        for dressed in _variants(category, pose)
        for with_garment in (True, False)
    }


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.count_nonzero(a & b)) / float(np.count_nonzero(a | b))


def _share(inside: np.ndarray, of: np.ndarray) -> float:
    return float(np.count_nonzero(inside & of)) / float(np.count_nonzero(of))


@pytest.mark.parametrize(("category", "pose"), CASES)
def test_every_variant_and_recipe_gives_the_same_mask(category: str, pose: str) -> None:
    masks = _masks(category, pose)
    worst = min(
        ((_iou(masks[a], masks[b]), a, b) for a, b in itertools.combinations(masks, 2)), key=lambda t: t[0]
    )
    assert worst[0] >= MIN_IOU, f"{category}/{pose}: IoU {worst[0]:.4f} between {worst[1]} and {worst[2]}"


@pytest.mark.parametrize(("category", "pose"), CASES)
def test_mask_covers_the_garment_it_was_given(category: str, pose: str) -> None:
    masks = _masks(category, pose)
    for dressed in _variants(category, pose):
        uncovered = int(np.count_nonzero(dressed.garment_mask & ~masks[(dressed.garment, True)]))
        assert uncovered == 0, f"{dressed.garment}: {uncovered} garment pixels left visible"


@pytest.mark.parametrize(("category", "pose"), CASES)
def test_without_garment_layer_only_the_derived_hands_and_feet_keep_garment_pixels(
    category: str, pose: str
) -> None:
    """Pose and silhouette alone cannot tell a hand from the sleeve or skirt around it.

    So the pose-derived hand and foot regions (grown by the margin) may keep a
    few garment pixels visible; everywhere else the garment must be masked.
    """
    params = PARAMS.for_category(category)
    masks = _masks(category, pose)
    dressed_variants = _variants(category, pose)
    kp = trusted_keypoints(dressed_variants[0].keypoints_px, category, 0.0)
    frame = regions.body_frame(kp)
    margin_px = params.protect.margin_rel * frame.scale_px
    priors = regions.hand_regions(kp, frame, params.protect, margin_px)
    priors += regions.foot_regions(kp, frame, params.protect, margin_px)
    derived = regions.fill_polygons(dressed_variants[0].labels.shape, priors)
    for dressed in dressed_variants:
        uncovered = dressed.garment_mask & ~masks[(dressed.garment, False)]
        assert not np.any(uncovered & ~derived), f"{dressed.garment}: garment visible outside hands and feet"


@pytest.mark.parametrize(("category", "pose"), CASES)
def test_face_hair_hands_and_feet_are_kept(category: str, pose: str) -> None:
    masks = _masks(category, pose)
    for dressed in _variants(category, pose):
        for with_garment in (True, False):
            mask = masks[(dressed.garment, with_garment)]
            label = f"{dressed.garment} (garment layer: {with_garment})"
            assert _share(mask, dressed.face) <= 0.01, f"{label}: face intrusion"
            assert _share(mask, dressed.hair) <= 0.01, f"{label}: hair intrusion"
            assert 1 - _share(mask, dressed.hands) >= 0.90, f"{label}: hands kept"
            assert 1 - _share(mask, dressed.feet) >= 0.90, f"{label}: feet kept"


@pytest.mark.parametrize(("category", "pose"), [case for case in CASES if case[0] != "upper"])
def test_the_offline_feet_layer_keeps_the_feet_whatever_is_worn(category: str, pose: str) -> None:
    """The offline recipe's feet (heel and toe landmarks plus the shoe the silhouette shows) keep the
    feet, and the mask still does not change with the garment."""
    body = make_body(pose)
    masks = {}
    for dressed in _variants(category, pose):
        layers = dressed.layers(garment=False)
        layers["feet"] = landmark_feet(body, dressed.person)
        masks[dressed.garment] = mask = agnostic_mask(
            dressed.size_wh, dressed.keypoints_px, layers, category, PARAMS.for_category(category)
        )
        assert 1 - _share(mask, dressed.feet) >= 0.93, f"{dressed.garment}: feet kept"
    worst = min(_iou(masks[a], masks[b]) for a, b in itertools.combinations(masks, 2))
    assert worst >= MIN_IOU, f"{category}/{pose}: IoU {worst:.4f}"


@pytest.mark.parametrize("category", sorted(GARMENTS))
def test_the_variants_really_differ_in_form(category: str) -> None:
    """Invariance would be trivial if the garments looked alike: their own masks must disagree."""
    variants = _variants(category, "arms_down")
    worst = min(_iou(a.garment_mask, b.garment_mask) for a, b in itertools.combinations(variants, 2))
    assert worst < 0.6
    widest = max(np.count_nonzero(v.person) for v in variants)
    narrowest = min(np.count_nonzero(v.person) for v in variants)
    assert widest > 1.1 * narrowest  # loose variants widen the silhouette


@pytest.mark.parametrize(("category", "pose"), CASES)
def test_synthetic_ground_truth_is_consistent(category: str, pose: str) -> None:
    for dressed in _variants(category, pose):
        assert np.any(dressed.garment_mask)
        for part in (dressed.face, dressed.hair, dressed.hands, dressed.feet):
            assert np.any(part) and not np.any(part & dressed.garment_mask)
            assert not np.any(part & ~dressed.person)
        columns, rows = dressed.keypoints_px[:, 0].astype(int), dressed.keypoints_px[:, 1].astype(int)
        assert np.all(dressed.person[rows, columns]), "every joint lies on the person"


@pytest.mark.parametrize(("category", "pose"), [case for case in CASES if case[0] != "dress"])
def test_no_limb_skin_shows_next_to_the_hands_and_feet(category: str, pose: str) -> None:
    """With the offline evidence (hands and feet as landmark hulls give them, whole; visible skin),
    no band of bare forearm or shin is kept between the mask and a hand or foot: such a band shows
    skin under a short sleeve or skirt and fabric under a long one, so it would tell the form."""
    body = make_body(pose)
    chains = regions.ARM_CHAINS if category == "upper" else regions.LEG_CHAINS
    limbs = regions.fill_polygons(
        body.labels.shape, regions.limb_capsules(body.keypoints_px, chains, 0.8 * body.scale_px)
    )
    for dressed in _variants(category, pose):
        layers = dressed.layers(garment=False, protected=True, skin=True)
        layers.update(hands=body.part("hand"), feet=body.part("foot"))
        mask = agnostic_mask(
            dressed.size_wh, body.keypoints_px, layers, category, PARAMS.for_category(category)
        )
        shown = np.count_nonzero(dressed.skin & limbs & ~mask)
        assert shown <= 0.005 * body.scale_px**2, f"{dressed.garment}: {shown} px of limb skin shown"
        assert 1 - _share(mask, body.part("hand")) >= 0.99, f"{dressed.garment}: hands kept"
        assert 1 - _share(mask, body.part("foot")) >= 0.99, f"{dressed.garment}: feet kept"
