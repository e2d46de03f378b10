"""Pose-drawn regions: body frame, limb ends, capsules, torso and hip-leg regions, protected parts."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.synthetic import dress_body, make_body
from vtondata.config.mask import LegParams, ProtectParams, TorsoParams
from vtondata.geometry import regions
from vtondata.geometry.keypoints import J

SHAPE_HW = (1024, 768)


def _body_kp(pose: str = "arms_down") -> np.ndarray:
    return make_body(pose).keypoints_px.copy()


def _rotated(keypoints: np.ndarray, degrees: float, centre: tuple[float, float] = (384, 512)) -> np.ndarray:
    angle = np.deg2rad(degrees)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    out = keypoints.copy()
    out[:, :2] = (keypoints[:, :2] - centre) @ rotation.T + centre
    return out


def _inside(polygon: np.ndarray, point: np.ndarray) -> bool:
    return cv2.pointPolygonTest(polygon.astype(np.float32), (float(point[0]), float(point[1])), False) >= 0


def test_body_frame_of_an_upright_person() -> None:
    kp = _body_kp()
    frame = regions.body_frame(kp)
    assert frame.scale_px == pytest.approx(180.0, rel=1e-4)
    np.testing.assert_allclose(frame.down, [0.0, 1.0], atol=1e-6)
    np.testing.assert_allclose(frame.across, [1.0, 0.0], atol=1e-6)
    shoulder_midpoint = (kp[J["left_shoulder"], :2] + kp[J["right_shoulder"], :2]) / 2
    np.testing.assert_allclose(frame.origin_px, shoulder_midpoint)


def test_body_frame_turns_with_the_body() -> None:
    frame = regions.body_frame(_rotated(_body_kp(), 30))
    np.testing.assert_allclose(frame.down, [-np.sin(np.deg2rad(30)), np.cos(np.deg2rad(30))], atol=1e-5)
    assert abs(float(np.dot(frame.down, frame.across))) < 1e-9


def test_body_frame_falls_back_to_the_thighs_without_shoulders() -> None:
    kp = _body_kp()
    kp[[J["left_shoulder"], J["right_shoulder"], J["neck"]], 2] = 0
    frame = regions.body_frame(kp)
    thigh = np.linalg.norm(kp[J["left_knee"], :2] - kp[J["left_hip"], :2])
    assert frame.scale_px == pytest.approx(regions.SCALE_PER_THIGH * thigh, rel=1e-4)
    np.testing.assert_allclose(frame.origin_px, kp[J["mid_hip"], :2], atol=1e-3)


def test_body_frame_without_scale_raises() -> None:
    with pytest.raises(ValueError, match="no body scale"):
        regions.body_frame(np.zeros((19, 3), dtype=np.float32))


def test_untrusted_wrist_is_extrapolated_along_the_upper_arm() -> None:
    kp = _body_kp()
    kp[J["left_wrist"]] = (0, 0, 0)
    out = regions.complete_limb_ends(kp)
    shoulder, elbow = kp[J["left_shoulder"], :2], kp[J["left_elbow"], :2]
    np.testing.assert_allclose(out[J["left_wrist"], :2], elbow + 0.79 * (elbow - shoulder), rtol=1e-5)
    assert out[J["left_wrist"], 2] == pytest.approx(0.9)
    np.testing.assert_array_equal(out[J["right_wrist"]], kp[J["right_wrist"]])


def test_limb_end_without_trusted_parents_stays_missing() -> None:
    kp = _body_kp()
    kp[[J["left_knee"], J["left_ankle"]], 2] = 0
    assert regions.complete_limb_ends(kp)[J["left_ankle"], 2] == 0


def test_capsule_is_the_hull_of_two_discs() -> None:
    capsule = regions.capsule_polygon(np.array([100.0, 100.0]), np.array([300.0, 100.0]), 20.0)
    xs, ys = capsule[:, 0], capsule[:, 1]
    assert xs.min() == pytest.approx(80, abs=0.1) and xs.max() == pytest.approx(320, abs=0.1)
    assert ys.min() == pytest.approx(80, abs=0.1) and ys.max() == pytest.approx(120, abs=0.1)


def test_fill_polygons_on_a_coarse_grid_matches_the_full_resolution() -> None:
    polygon = regions.capsule_polygon(np.array([200.0, 300.0]), np.array([500.0, 700.0]), 60.0)
    full = regions.fill_polygons(SHAPE_HW, [polygon])
    coarse = regions.fill_polygons((SHAPE_HW[0] // 4, SHAPE_HW[1] // 4), [polygon], 0.25)
    blocks = full.reshape(SHAPE_HW[0] // 4, 4, SHAPE_HW[1] // 4, 4).mean(axis=(1, 3))
    # Every cell at least half covered is set, no untouched cell is: only edge cells may differ.
    assert np.all(coarse[blocks >= 0.5]) and not np.any(coarse & (blocks == 0))


def test_limb_capsules_skip_untrusted_segments() -> None:
    kp = _body_kp()
    assert len(regions.limb_capsules(kp, regions.ARM_CHAINS, 100.0)) == 4
    kp[J["left_elbow"], 2] = 0
    assert len(regions.limb_capsules(kp, regions.ARM_CHAINS, 100.0)) == 2


def test_torso_region_spans_shoulders_hips_and_neck_base() -> None:
    kp = _body_kp()
    frame = regions.body_frame(kp)
    params = TorsoParams()
    torso = regions.torso_region(kp, frame, params)
    for name in ("left_shoulder", "right_shoulder", "left_hip", "right_hip", "neck", "mid_hip"):
        assert _inside(torso, kp[J[name], :2]), name
    neck_base = frame.origin_px - frame.down * 0.95 * params.neckline_lift_rel * frame.scale_px
    assert _inside(torso, neck_base)
    below = kp[J["mid_hip"], :2] + frame.down * 1.05 * params.below_hip_rel * frame.scale_px
    assert not _inside(torso, below)
    assert not _inside(torso, kp[J["nose"], :2])


@pytest.mark.parametrize("pose", ["arms_down", "crossed_legs", "walking"])
def test_hip_leg_region_fills_the_gap_between_the_legs(pose: str) -> None:
    kp = _body_kp(pose)
    frame = regions.body_frame(kp)
    region = regions.hip_leg_region(kp, frame, LegParams())
    for name in ("left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle"):
        assert _inside(region, kp[J[name], :2]), name
    between_knees = (kp[J["left_knee"], :2] + kp[J["right_knee"], :2]) / 2
    between_ankles = (kp[J["left_ankle"], :2] + kp[J["right_ankle"], :2]) / 2
    assert _inside(region, between_knees) and _inside(region, between_ankles)
    hem = between_ankles + frame.across * 0.95 * LegParams().hem_half_width_rel * frame.scale_px
    assert _inside(region, hem)


def test_band_spans_the_regions_along_the_body_axis() -> None:
    kp = _body_kp()
    frame = regions.body_frame(kp)
    torso = regions.torso_region(kp, frame, TorsoParams())
    top, bottom = regions.extent_along(frame, [torso])
    band = regions.fill_polygons(SHAPE_HW, [regions.band_polygon(frame, top, bottom, (768, 1024))])
    rows = np.nonzero(band.any(axis=1))[0]
    assert rows.min() == pytest.approx(torso[:, 1].min(), abs=1.5)
    assert rows.max() == pytest.approx(torso[:, 1].max(), abs=1.5)
    assert band[rows.min() + 1].all()


@pytest.mark.parametrize("pose", ["arms_down", "arms_out", "hands_on_hips", "walking"])
def test_derived_hands_cover_the_synthetic_hands_and_start_at_the_wrist(pose: str) -> None:
    body = make_body(pose)
    kp = body.keypoints_px
    frame = regions.body_frame(kp)
    hands = regions.fill_polygons(SHAPE_HW, regions.hand_regions(kp, frame, ProtectParams(), 0.0))
    truth = body.part("hand")
    assert np.count_nonzero(hands & truth) / np.count_nonzero(truth) >= 0.95
    for side in ("left", "right"):
        wrist, elbow = kp[J[f"{side}_wrist"], :2], kp[J[f"{side}_elbow"], :2]
        before_wrist = wrist - 0.05 * frame.scale_px * (wrist - elbow) / np.linalg.norm(wrist - elbow)
        assert not hands[int(before_wrist[1]), int(before_wrist[0])]


def test_derived_feet_cover_the_synthetic_feet() -> None:
    body = make_body("arms_down")
    kp = body.keypoints_px
    polygons = regions.foot_regions(kp, regions.body_frame(kp), ProtectParams(), 0.0)
    feet = regions.fill_polygons(SHAPE_HW, polygons)
    truth = body.part("foot")
    assert np.count_nonzero(feet & truth) / np.count_nonzero(truth) >= 0.95


def test_derived_head_covers_the_face_but_not_the_collar() -> None:
    dressed = dress_body(make_body("arms_down"), "short_sleeve_tight")
    kp = dressed.keypoints_px
    polygons = regions.head_region(kp, regions.body_frame(kp), ProtectParams(), 0.0)
    head = regions.fill_polygons(SHAPE_HW, polygons)
    assert np.count_nonzero(head & dressed.face) / np.count_nonzero(dressed.face) >= 0.99
    assert not np.any(head & dressed.garment_mask)


def test_derived_head_sits_above_the_shoulders_in_a_back_view() -> None:
    kp = _body_kp()
    kp[[J[name] for name in regions.FACE_JOINTS], 2] = 0
    frame = regions.body_frame(kp)
    (ellipse,) = regions.head_region(kp, frame, ProtectParams(), 0.0)
    centre = ellipse.mean(axis=0)
    expected = frame.origin_px - frame.down * ProtectParams().head_above_neck_rel * frame.scale_px
    np.testing.assert_allclose(centre, expected, atol=0.5)


def test_growing_a_protected_region_enlarges_it_by_the_margin() -> None:
    kp = _body_kp()
    frame = regions.body_frame(kp)
    plain = regions.fill_polygons(SHAPE_HW, regions.hand_regions(kp, frame, ProtectParams(), 0.0))
    grown = regions.fill_polygons(SHAPE_HW, regions.hand_regions(kp, frame, ProtectParams(), 6.0))
    assert np.all(grown[plain])
    assert np.count_nonzero(grown) > 1.1 * np.count_nonzero(plain)


def test_distances_along_the_body_axis() -> None:
    kp = _body_kp()
    frame = regions.body_frame(kp)
    assert regions.mid_hip_along(kp, frame) == pytest.approx(1.5 * frame.scale_px, rel=1e-4)
    square = np.array([[0.0, 100.0], [10.0, 100.0], [10.0, 300.0], [0.0, 300.0]])
    top, bottom = regions.extent_along(frame, [square])
    assert (top, bottom) == pytest.approx((100.0 - frame.origin_px[1], 300.0 - frame.origin_px[1]))


def test_fill_holes_fills_enclosed_background_only() -> None:
    ring = np.zeros((9, 9), dtype=bool)
    ring[2:7, 2:7] = True
    ring[4, 4] = False  # a hole
    bay = ring.copy()
    bay[4, 2:5] = False  # the same hole, opened to the ring's outside
    corner = np.zeros((9, 9), dtype=bool)
    corner[0:3, 0:3] = True
    corner[0, 0] = False  # background on the border is no hole
    assert regions.fill_holes(ring)[4, 4]
    np.testing.assert_array_equal(regions.fill_holes(bay), bay)
    np.testing.assert_array_equal(regions.fill_holes(corner), corner)


def test_fill_holes_matches_scipy_on_random_masks() -> None:
    from scipy.ndimage import binary_fill_holes

    rng = np.random.default_rng(7)
    for _ in range(20):
        mask = rng.random((24, 31)) < 0.55
        np.testing.assert_array_equal(regions.fill_holes(mask), binary_fill_holes(mask))
