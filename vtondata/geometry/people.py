"""Which detected person a sample is about, or why none can be chosen.

A try-on sample shows one person. Detectors also find passers-by, mannequins
and reflections; those are background when their box is clearly smaller than
the main person's, and make the photo ambiguous when it is not. The rule
compares box areas because area tracks how much of the frame a person takes,
which is what decides whether the person mask and pose belong to one body.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Verdict = Literal["ok", "no_person", "ambiguous"]


@dataclass(frozen=True)
class PersonChoice:
    """The outcome of :func:`select_dominant_person`.

    ``index`` is the chosen row (``None`` unless ``verdict == "ok"``; for
    ``"ambiguous"`` it is still the largest person, so statistics can be
    recorded). ``num_confident`` counts detections scoring at least
    ``min_score``; ``secondary_area_ratio`` is the second-largest confident
    box area over the largest (0 when there is one person); ``best_score`` is
    the highest score among all detections (0 when there are none).
    """

    verdict: Verdict
    index: int | None
    num_confident: int
    secondary_area_ratio: float
    best_score: float


def select_dominant_person(
    boxes_xyxy: np.ndarray, scores: np.ndarray, min_score: float, max_secondary_ratio: float
) -> PersonChoice:
    """Pick the confident detection with the largest box.

    ``boxes_xyxy`` is ``(N, 4)`` ``(x0, y0, x1, y1)`` in pixels and ``scores``
    ``(N,)`` in [0, 1]. A detection counts when ``score >= min_score``. The
    photo is ``"ambiguous"`` when the second-largest confident box has at
    least ``max_secondary_ratio`` of the largest one's area.
    """
    boxes = np.asarray(boxes_xyxy, dtype=np.float64).reshape(-1, 4)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if boxes.shape[0] != scores.shape[0]:
        raise ValueError(f"{boxes.shape[0]} boxes but {scores.shape[0]} scores")
    best_score = float(scores.max()) if scores.size else 0.0
    confident = np.flatnonzero(scores >= min_score)
    if confident.size == 0:
        return PersonChoice("no_person", None, 0, 0.0, best_score)
    widths = np.clip(boxes[confident, 2] - boxes[confident, 0], 0, None)
    heights = np.clip(boxes[confident, 3] - boxes[confident, 1], 0, None)
    areas = widths * heights
    order = np.argsort(-areas, kind="stable")
    dominant = int(confident[order[0]])
    ratio = 0.0
    if confident.size > 1:
        largest = areas[order[0]]
        ratio = float(areas[order[1]] / largest) if largest > 0 else 1.0
    verdict: Verdict = "ambiguous" if confident.size > 1 and ratio >= max_secondary_ratio else "ok"
    return PersonChoice(verdict, dominant, int(confident.size), ratio, best_score)
