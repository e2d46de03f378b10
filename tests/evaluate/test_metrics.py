"""Per-sample mask scores: exact values on hand-made arrays, synthetic bodies, and the VITON-HD sample."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.synthetic import LABEL, dress_body, make_body
from vtondata.config.mask import MaskConfig
from vtondata.evaluate.metrics import background_excess, end_regions, score_mask
from vtondata.evaluate.sources import GroundTruthFolder
from vtondata.geometry.agnostic import agnostic_mask

PARAMS = MaskConfig()


def _truth(dressed) -> dict[str, np.ndarray]:
    part = lambda *names: np.isin(dressed.labels, [LABEL[name] for name in names])  # noqa: E731
    return {
        "person": dressed.person, "face": dressed.face, "hair": dressed.hair, "hands": dressed.hands,
        "feet": dressed.feet, "arms": part("upper_arm", "forearm", "hand"), "legs": part("thigh", "shin"),
        f"garment_{dressed.category}": dressed.garment_mask,
    }  # fmt: skip


def test_background_excess_counts_mask_far_from_the_person() -> None:
    person = np.zeros((100, 100), dtype=bool)
    person[40:60, 40:60] = True
    mask = np.zeros_like(person)
    mask[40:60, 40:60] = True  # on the person
    mask[0:10, 0:10] = True  # 30 px (> 5 px) away
    assert background_excess(mask, person) == pytest.approx(100 / 500)
    assert background_excess(np.zeros_like(mask), person) is None
    assert background_excess(mask, np.zeros_like(person)) == 1.0


def test_empty_ground_truth_gives_none_not_zero() -> None:
    body = make_body("arms_down")
    mask = np.ones(body.labels.shape, dtype=bool)
    scores = score_mask(mask, {"person": body.labels > 0}, body.keypoints_px, "upper")
    assert scores.garment_coverage is None and scores.face_intrusion is None and scores.hands_kept is None
    assert scores.area_ratio == 1.0 and scores.garment_px == 0


def test_layer_of_another_size_is_refused() -> None:
    body = make_body("arms_down")
    with pytest.raises(ValueError, match="face"):
        score_mask(
            np.zeros((10, 10), dtype=bool), {"face": np.zeros((11, 10), bool)}, body.keypoints_px, "upper"
        )


@pytest.mark.parametrize(
    "garment", ["short_sleeve_loose", "long_sleeve_tight", "trousers_loose", "long_skirt_loose"]
)
def test_our_masks_score_well_on_synthetic_bodies(garment: str) -> None:
    dressed = dress_body(make_body("arms_out"), garment)
    category = dressed.category
    mask = agnostic_mask(
        dressed.size_wh,
        dressed.keypoints_px,
        {"person": dressed.person},
        category,
        PARAMS.for_category(category),
    )
    scores = score_mask(mask, _truth(dressed), dressed.keypoints_px, category)
    assert scores.garment_coverage >= 0.99
    assert scores.limb_coverage is None or scores.limb_coverage >= 0.99
    assert scores.face_intrusion == 0.0 and scores.hair_intrusion == 0.0
    assert scores.hands_kept >= 0.9 and scores.feet_kept >= 0.9
    assert scores.background_excess <= 0.05


def test_a_garment_only_mask_leaves_the_forearms_of_a_short_sleeve() -> None:
    dressed = dress_body(make_body("arms_down"), "short_sleeve_tight")
    scores = score_mask(dressed.garment_mask, _truth(dressed), dressed.keypoints_px, "upper")
    assert scores.garment_coverage == 1.0
    assert scores.limb_coverage < 0.1 and scores.limb_px > 10_000


def test_hand_zone_starts_at_the_wrist(vitonhd_dir: Path) -> None:
    """LIP has no hand label: arm pixels past the wrist become hands, the rest stays arm."""
    truth = GroundTruthFolder(vitonhd_dir).load("07445_00")
    hands, feet = end_regions(truth.layers, truth.keypoints_px, truth.label_map.shape)
    arms = truth.layers["arms"]
    assert hands.any() and not (hands & ~arms).any()
    assert 0.2 < hands.sum() / arms.sum() < 0.6
    assert not feet.any()  # a half-body crop: no shoes, no ankles in frame


def test_parse_evidence_masks_score_well_on_the_vitonhd_sample(vitonhd_dir: Path) -> None:
    folder = GroundTruthFolder(vitonhd_dir)
    stems = sorted(path.stem for path in (vitonhd_dir / "image-parse").glob("*.png"))
    assert len(stems) == 6
    for stem in stems:
        truth = folder.load(stem)
        layers = {name: truth.layers[name] for name in ("garment_upper", "face", "hair", "person")}
        height, width = truth.label_map.shape
        mask = agnostic_mask(
            (width, height), truth.keypoints_px, layers, "upper", PARAMS.upper, min_confidence=0.2
        )
        scores = score_mask(mask, truth.layers, truth.keypoints_px, "upper")
        assert scores.garment_coverage >= 0.995, stem
        assert scores.face_intrusion <= 0.01 and scores.hair_intrusion <= 0.01, stem
        assert scores.hands_kept >= 0.85, (stem, scores.hands_kept)
        assert scores.background_excess <= 0.15, (stem, scores.background_excess)
