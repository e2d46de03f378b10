"""The skeleton renderer draws OpenPose-style limbs deterministically, like VITON-HD's openpose-img."""

from __future__ import annotations

import cv2
import numpy as np

from tests.fakes import standing_coco17
from vtondata.geometry.keypoints import J, canonical_from_coco17, load_openpose_json
from vtondata.geometry.skeleton import BODY25_COLORS_RGB, RENDER_INTENSITY, render_skeleton


def _canonical() -> np.ndarray:
    return canonical_from_coco17(standing_coco17(768, 1024))


def test_renders_a_non_empty_rgb_image_of_the_requested_size():
    image = render_skeleton(_canonical(), 768, 1024)
    assert image.shape == (1024, 768, 3) and image.dtype == np.uint8
    drawn = image.any(axis=2)
    assert 0.005 < drawn.mean() < 0.2


def test_is_deterministic():
    np.testing.assert_array_equal(
        render_skeleton(_canonical(), 768, 1024), render_skeleton(_canonical(), 768, 1024)
    )


def test_limbs_take_openpose_colours():
    canonical = _canonical()
    image = render_skeleton(canonical, 768, 1024)
    # The neck -> mid-hip limb is OpenPose's red (the mid-hip's colour), dimmed as OpenPose blends it.
    between = (canonical[J["neck"], :2] * 0.4 + canonical[J["mid_hip"], :2] * 0.6).round().astype(int)
    expected = [int(RENDER_INTENSITY * c) for c in BODY25_COLORS_RGB[8]]
    assert image[between[1], between[0]].tolist() == expected
    # The left shoulder joint is drawn in its own colour.
    x, y = canonical[J["left_shoulder"], :2].round().astype(int)
    assert image[y, x].tolist() == [int(RENDER_INTENSITY * c) for c in BODY25_COLORS_RGB[5]]


def test_joints_below_the_confidence_threshold_are_not_drawn():
    canonical = _canonical()
    canonical[:, 2] = 0.05
    assert not render_skeleton(canonical, 768, 1024, min_confidence=0.1).any()
    canonical[J["left_wrist"], 2] = 0.5
    image = render_skeleton(canonical, 768, 1024, min_confidence=0.1)
    x, y = canonical[J["left_wrist"], :2].round().astype(int)
    ys, xs = np.nonzero(image.any(axis=2))
    assert abs(xs.mean() - x) < 1 and abs(ys.mean() - y) < 1  # only that joint's dot


def test_ground_truth_pose_renders_where_openpose_drew_it(vitonhd_dir):
    for path in sorted((vitonhd_dir / "openpose-json").glob("*.json")):
        ours = render_skeleton(load_openpose_json(path), 768, 1024).any(axis=2)
        rendered = vitonhd_dir / "openpose-img" / f"{path.stem.removesuffix('_keypoints')}_rendered.png"
        theirs = cv2.imread(str(rendered)).max(axis=2) > 30
        theirs = cv2.dilate(theirs.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
        assert (ours & theirs).sum() / ours.sum() > 0.9, path.name
