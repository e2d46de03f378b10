"""The report's form-leakage score on synthetic bodies: a mask hugging the garment leaks, a pose mask not."""

from __future__ import annotations

import cv2
import numpy as np

from tests.evaluate.test_parse_forms import as_parse_map
from tests.synthetic import POSES, dress_body, make_body
from vtondata.geometry import regions
from vtondata.report.form_leakage import FormLeakage

BODIES = ((768, 1024, 180.0), (640, 1024, 150.0), (896, 1024, 165.0))
GARMENTS = ("knee_skirt_tight", "knee_skirt_loose", "trousers_tight", "trousers_loose")


def _dilated(garment: np.ndarray, scale_px: float) -> np.ndarray:
    """The garment grown by 0.1 s, as parse-dilation mask generators draw it: follows the form."""
    radius = round(0.1 * scale_px)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate(garment.view(np.uint8), disc) > 0


def _from_pose(keypoints_px: np.ndarray, shape_hw: tuple[int, int], scale_px: float) -> np.ndarray:
    """Thick leg capsules from the keypoints alone: a mask that cannot know the garment."""
    legs = regions.limb_capsules(keypoints_px, regions.LEG_CHAINS, 0.8 * scale_px)
    return regions.fill_polygons(shape_hw, legs)


def _scores() -> dict[str, dict]:
    collectors = {"dilated": FormLeakage("lower"), "pose": FormLeakage("lower")}
    for pose in POSES:
        for width, height, scale in BODIES:
            body = make_body(pose, width, height, scale)
            for garment in GARMENTS:
                dressed = dress_body(body, garment)
                parse = as_parse_map(dressed)
                masks = {
                    "dilated": _dilated(dressed.garment_mask, scale),
                    "pose": _from_pose(body.keypoints_px, dressed.labels.shape, scale),
                }
                for name, mask in masks.items():
                    collectors[name].count(collectors[name].measure(mask, parse, body.keypoints_px))
    return {name: collector.result() for name, collector in collectors.items()}


def test_a_mask_that_follows_the_garment_leaks_and_a_pose_mask_does_not():
    scores = _scores()
    dilated, pose = scores["dilated"], scores["pose"]
    assert dilated["counts"] == pose["counts"]
    assert dilated["counts"]["skirt"] >= 5 and dilated["counts"]["pants"] >= 5
    assert dilated["samples_read"] == len(POSES) * len(BODIES) * len(GARMENTS)
    mask_auc = {
        name: next(r for r in s["results"] if r["source"] == "mask")["auc"] for name, s in scores.items()
    }
    assert mask_auc["dilated"] > 0.9
    assert mask_auc["pose"] < 0.7


def test_too_few_samples_or_no_pair_of_forms_is_said_not_scored():
    body = make_body("arms_down")
    dressed = dress_body(body, "trousers_tight")
    few = FormLeakage("lower")
    few.count(few.measure(dressed.garment_mask, as_parse_map(dressed), body.keypoints_px))
    result = few.result()
    assert result["counts"] == {"pants": 1, "skirt": 0}
    assert all(r["auc"] is None and "at least 5" in r["refused"] for r in result["results"])
    dress = FormLeakage("dress").result()
    assert dress["forms"] is None
    assert all("no pair of forms" in r["refused"] for r in dress["results"])
