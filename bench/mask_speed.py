"""Milliseconds per agnostic mask, per category and per set of evidence layers, on one core.

Usage: ``python bench/mask_speed.py [--repeats N]``. Draws synthetic 768x1024
people (``tests/synthetic.py``, every pose, one loose garment per category so
the silhouette term has work to do) and prints a Markdown table: the median
and the 95th percentile over all poses and repeats, with OpenCV limited to one
thread as a Ray task with ``num_cpus=1`` would be. Times are this process's
CPU time (one thread), so other work on a busy machine does not inflate them.
"""

from __future__ import annotations

import argparse
import time

import cv2
import numpy as np

from tests.synthetic import POSES, dress_body, make_body
from vtondata.config.mask import MaskConfig
from vtondata.geometry.agnostic import agnostic_mask

GARMENT = {"upper": "long_sleeve_loose", "lower": "long_skirt_loose", "dress": "long_dress_loose"}
LAYER_SETS = {
    "pose only": lambda dressed: {},
    "pose + silhouette (offline)": lambda dressed: dressed.layers(garment=False),
    "+ garment": lambda dressed: dressed.layers(),
    "+ garment, face, hair, hands, feet": lambda dressed: dressed.layers(protected=True),
    "face, hair, hands, feet, skin (offline)": lambda dressed: dressed.layers(
        garment=False, protected=True, skin=True
    ),
    "every layer": lambda dressed: dressed.layers(protected=True, skin=True),
}


def time_masks(category: str, layer_set: str, repeats: int) -> list[float]:
    """Seconds per mask, one value per pose and repeat, after one warm-up call per pose."""
    params = MaskConfig().for_category(category)
    timings = []
    for pose in POSES:
        dressed = dress_body(make_body(pose), GARMENT[category])
        layers = LAYER_SETS[layer_set](dressed)
        agnostic_mask(dressed.size_wh, dressed.keypoints_px, layers, category, params)
        for _ in range(repeats):
            started = time.process_time()
            agnostic_mask(dressed.size_wh, dressed.keypoints_px, layers, category, params)
            timings.append(time.process_time() - started)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20, help="timed calls per pose")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    print("| category | layers | median ms | p95 ms |")
    print("| --- | --- | ---: | ---: |")
    for category in GARMENT:
        for layer_set in LAYER_SETS:
            ms = np.asarray(time_masks(category, layer_set, args.repeats)) * 1000
            print(f"| {category} | {layer_set} | {np.median(ms):.1f} | {np.percentile(ms, 95):.1f} |")


if __name__ == "__main__":
    main()
