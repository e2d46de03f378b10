"""Form leakage on synthetic bodies: pose-drawn masks hide the old garment's form, parse dilation shows it.

Every pose of ``tests/synthetic.py`` at three body sizes and positions wears
every garment variant of the category. Ours: the offline recipe's inputs
(keypoints and silhouette; then also its feet layer, drawn from MediaPipe-style
heel and toe landmarks and the silhouette). Baseline: the garment ground truth dilated by
0.1 s, as parse-dilation generators (OOTDiffusion / IDM-VTON
``get_mask_location``, the DressCode loader) draw masks. A person (pose and
size) is one cross-validation group. Figures: docs/evaluation.md.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.synthetic import GARMENTS, LABEL, POSES, dress_body, landmark_feet, make_body
from vtondata.config.mask import MaskConfig
from vtondata.evaluate.forms import FORMS, shape_features
from vtondata.evaluate.leakage import LeakageResult, form_leakage_auc
from vtondata.evaluate.metrics import limb_skin
from vtondata.geometry.agnostic import agnostic_mask
from vtondata.sample import Category

BODIES = ((768, 1024, 180.0), (640, 1024, 150.0), (896, 1024, 165.0))
"""(width_px, height_px, shoulder width px): size and horizontal position of the person vary."""
DILATION_REL = 0.1
PARAMS = MaskConfig()


def _ground_truth(dressed) -> dict[str, np.ndarray]:
    part = lambda *names: np.isin(dressed.labels, [LABEL[name] for name in names])  # noqa: E731
    arms, legs = part("upper_arm", "forearm", "hand"), part("thigh", "shin")
    return {"arms": arms, "legs": legs, "hands": dressed.hands, "feet": dressed.feet}


def _parse_dilation(garment: np.ndarray, scale_px: float) -> np.ndarray:
    radius = round(DILATION_REL * scale_px)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate(garment.view(np.uint8), disc) > 0


def _experiment(category: str) -> dict[tuple[str, str], LeakageResult]:
    positive_form = FORMS[Category(category)][1]
    rows: dict[tuple[str, str], list[np.ndarray]] = {}
    labels, groups = [], []
    for group, (pose, (width, height, scale)) in enumerate((p, b) for p in POSES for b in BODIES):
        body = make_body(pose, width, height, scale)
        for garment in GARMENTS[category]:
            dressed = dress_body(body, garment)
            kp = dressed.keypoints_px
            skin = limb_skin(_ground_truth(dressed), kp, category, dressed.labels.shape)
            masks = {
                "ours": agnostic_mask(
                    dressed.size_wh, kp, {"person": dressed.person}, category, PARAMS.for_category(category)
                ),
                "ours, landmark feet": agnostic_mask(
                    dressed.size_wh,
                    kp,
                    {"person": dressed.person, "feet": landmark_feet(body, dressed.person)},
                    category,
                    PARAMS.for_category(category),
                ),
                "parse-dilation": _parse_dilation(dressed.garment_mask, scale),
            }
            for name, mask in masks.items():
                rows.setdefault((name, "mask"), []).append(shape_features(mask, kp))
                rows.setdefault((name, "visible skin"), []).append(shape_features(skin & ~mask, kp))
            labels.append(positive_form.split("_")[0] in garment)
            groups.append(group)
    return {
        key: form_leakage_auc(np.stack(features), np.array(labels), source=key[1], groups=np.array(groups))
        for key, features in rows.items()
    }


@pytest.fixture(scope="module", params=["upper", "lower"])
def leakage(request) -> tuple[str, dict[tuple[str, str], LeakageResult]]:
    return request.param, _experiment(request.param)


def test_every_variant_of_every_person_is_counted(leakage) -> None:
    category, results = leakage
    expected = len(POSES) * len(BODIES) * len(GARMENTS[category])
    for result in results.values():
        assert result.samples == expected and result.folds == 5 and result.refused is None


def test_our_masks_leak_little_and_parse_dilation_leaks(leakage) -> None:
    """Upper: ours 0.50 / 0.50, baseline 1.00 / 1.00; lower: ours 0.58 / 0.51 (0.59 / 0.52 with landmark
    feet), baseline 1.00 / 0.88."""
    category, results = leakage
    for source in ("mask", "visible skin"):
        ours, baseline = results[("ours", source)].auc, results[("parse-dilation", source)].auc
        assert ours is not None and baseline is not None
        assert ours <= 0.65, (category, source, ours)
        with_feet = results[("ours, landmark feet", source)].auc
        assert with_feet is not None and with_feet <= 0.65, (category, source, with_feet)
        assert baseline >= 0.85, (category, source, baseline)
        assert baseline - ours >= 0.25, (category, source, ours, baseline)
    assert results[("parse-dilation", "mask")].auc >= 0.99
