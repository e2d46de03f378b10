"""Dominant-person selection on synthetic boxes."""

from __future__ import annotations

import numpy as np
import pytest

from vtondata.geometry.people import select_dominant_person


def _choose(boxes, scores, min_score=0.25, max_ratio=0.35):
    return select_dominant_person(np.asarray(boxes, float), np.asarray(scores, float), min_score, max_ratio)


def test_a_single_confident_person_is_chosen():
    choice = _choose([[10, 10, 110, 310]], [0.9])
    assert (choice.verdict, choice.index, choice.num_confident) == ("ok", 0, 1)
    assert choice.secondary_area_ratio == 0.0
    assert choice.best_score == pytest.approx(0.9)


def test_no_detection_means_no_person():
    choice = _choose(np.zeros((0, 4)), np.zeros((0,)))
    assert (choice.verdict, choice.index, choice.num_confident, choice.best_score) == (
        "no_person",
        None,
        0,
        0.0,
    )


def test_only_unconfident_detections_mean_no_person():
    choice = _choose([[0, 0, 100, 300], [0, 0, 50, 50]], [0.2, 0.1])
    assert (choice.verdict, choice.index) == ("no_person", None)
    assert choice.best_score == pytest.approx(0.2)


def test_the_largest_confident_box_wins_whatever_its_position_or_score():
    boxes = [[0, 0, 40, 100], [100, 0, 300, 600], [400, 0, 420, 50]]
    choice = _choose(boxes, [0.95, 0.5, 0.9])
    assert (choice.verdict, choice.index, choice.num_confident) == ("ok", 1, 3)
    assert choice.secondary_area_ratio == pytest.approx(4000 / 120000)


def test_a_large_unconfident_box_is_ignored():
    choice = _choose([[0, 0, 1000, 1000], [0, 0, 100, 300]], [0.1, 0.8])
    assert (choice.verdict, choice.index, choice.num_confident) == ("ok", 1, 1)


def test_two_similar_people_are_ambiguous():
    choice = _choose([[0, 0, 100, 300], [200, 0, 290, 300]], [0.9, 0.9])
    assert choice.verdict == "ambiguous"
    assert choice.index == 0
    assert choice.secondary_area_ratio == pytest.approx(0.9)


def test_the_ratio_threshold_is_inclusive():
    boxes = [[0, 0, 100, 100], [0, 0, 50, 70]]  # second area 3500 = 0.35 of 10000
    assert _choose(boxes, [0.9, 0.9], max_ratio=0.35).verdict == "ambiguous"
    assert _choose(boxes, [0.9, 0.9], max_ratio=0.36).verdict == "ok"


def test_mismatched_inputs_are_refused():
    with pytest.raises(ValueError, match="2 boxes but 1 scores"):
        _choose([[0, 0, 1, 1], [0, 0, 2, 2]], [0.9])
