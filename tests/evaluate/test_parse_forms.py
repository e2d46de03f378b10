"""The visible garment form read from vtondata's own ten-label parse map, on synthetic bodies.

Each synthetic body (tests/synthetic.py) is relabelled into the table of
``parse.png``: bare body parts become ``skin``, as the offline evidence
labels them. Every form that is told must be the garment's true form; some
must be told (a rule that always says "cannot tell" would pass the first).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from tests.synthetic import GARMENTS, LABEL, POSES, dress_body, make_body
from vtondata.evaluate.parse_forms import limb_layers, visible_form
from vtondata.geometry.keypoints import J
from vtondata.geometry.parse_map import LABEL_ID

AS_PARSE = {
    "background": "background", "hair": "hair", "head": "skin", "face": "face", "neck": "skin",
    "torso": "skin", "upper_arm": "skin", "forearm": "skin", "hand": "hands", "thigh": "skin",
    "shin": "skin", "foot": "feet", "upper_garment": "upper_garment", "lower_garment": "lower_garment",
    "dress": "dress",
}  # fmt: skip
TRUE_FORM = {
    "sleeveless": "short_sleeve", "short_sleeve": "short_sleeve", "long_sleeve": "long_sleeve",
    "shorts": "pants", "trousers": "pants", "knee_skirt": "skirt", "long_skirt": "skirt",
}  # fmt: skip


def as_parse_map(dressed) -> np.ndarray:
    """The synthetic body's part map in the ten labels of ``parse.png``."""
    table = np.zeros(len(LABEL), dtype=np.uint8)
    for part, label in AS_PARSE.items():
        table[LABEL[part]] = LABEL_ID[label]
    return table[dressed.labels]


@cache
def _told(category: str) -> list[tuple[str, str, str | None]]:
    """``(pose, garment, form told)`` for every pose and garment of ``category``."""
    told = []
    for pose in POSES:
        body = make_body(pose)
        for garment in GARMENTS[category]:
            told.append(
                (
                    pose,
                    garment,
                    visible_form(as_parse_map(dress_body(body, garment)), body.keypoints_px, category),
                )
            )
    return told


@pytest.mark.parametrize("category", ["upper", "lower"])
def test_every_form_told_is_the_true_one(category):
    told = _told(category)
    wrong = [
        (pose, garment, form)
        for pose, garment, form in told
        if form not in (None, TRUE_FORM[garment.rsplit("_", 1)[0]])
    ]
    assert wrong == []
    labelled = {form for _, _, form in told if form is not None}
    assert labelled == {"short_sleeve", "long_sleeve"} if category == "upper" else {"skirt", "pants"}


def test_sleeves_are_told_on_every_pose_and_trousers_apart_from_a_knee_skirt():
    assert all(form is not None for _, _, form in _told("upper"))
    lower = {(pose, garment): form for pose, garment, form in _told("lower")}
    assert lower["arms_down", "trousers_tight"] == "pants"
    assert lower["arms_down", "knee_skirt_loose"] == "skirt"
    assert lower["crossed_legs", "trousers_tight"] is None, "legs together show no gap"
    assert lower["arms_down", "long_skirt_loose"] is None, "a long skirt looks like wide trousers"


def test_dress_has_no_form_and_missing_legs_tell_nothing():
    body = make_body("arms_down")
    parse = as_parse_map(dress_body(body, "knee_skirt_tight"))
    assert visible_form(parse, body.keypoints_px, "dress") is None
    no_knees = body.keypoints_px.copy()
    no_knees[[J["left_knee"], J["right_knee"]], 2] = 0.0
    assert visible_form(parse, no_knees, "lower") is None


def test_arm_skin_is_only_the_skin_along_the_arms():
    body = make_body("arms_out")
    dressed = dress_body(body, "sleeveless_tight")
    layers = limb_layers(as_parse_map(dressed), body.keypoints_px)
    forearms = dressed.labels == LABEL["forearm"]
    neck = dressed.labels == LABEL["neck"]
    assert layers["arms"][forearms].mean() > 0.95
    assert not layers["arms"][neck].any()
    assert layers["hands"].sum() == (dressed.labels == LABEL["hand"]).sum()
