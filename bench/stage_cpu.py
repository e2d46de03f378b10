"""CPU milliseconds per photo of each stage of a recipe, in one process, OpenCV on one thread.

usage: python -m bench.stage_cpu [--images 32] [--recipe offline]

Every stage runs over all inputs (``bench/photos.py``) before the next, as the
local runner runs one chunk, and its CPU time (``time.process_time``: every
thread of this process) is divided by the number of photos. CPU time, unlike
wall time, barely moves when other jobs share the machine, which makes this
the figure to compare code before and after a change on a busy machine; run
it on both checkouts one after the other.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import cv2

from bench.photos import make_inputs
from vtondata.api import build_stages
from vtondata.config import load_recipe
from vtondata.ingest.chunks import plan_chunks
from vtondata.ingest.scan import scan_inputs
from vtondata.runners.base import run_stages
from vtondata.sample import Category


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--images", type=int, default=32)
    parser.add_argument("--recipe", default="offline")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    with tempfile.TemporaryDirectory() as tmp:
        raw = make_inputs(Path(tmp) / "raw", args.images)
        recipe = load_recipe(args.recipe, {"quality.duplicates.min_hash_distance": "null"})
        stages = build_stages(recipe)
        items = scan_inputs(raw, recipe.ingest)
        samples = [s for chunk in plan_chunks(items, len(items), Category.UPPER) for s in chunk.samples()]
        for stage in stages:
            stage.setup()
        cpu_ms: dict[str, float] = {}
        for stage in stages:
            started = time.process_time()
            samples = run_stages([stage], samples)
            cpu_ms[stage.name] = (time.process_time() - started) / len(samples) * 1000
    accepted = sum(sample.accepted for sample in samples)
    print(
        " ".join(f"{name} {ms:.1f}" for name, ms in cpu_ms.items()),
        f"| total {sum(cpu_ms.values()):.1f} ms CPU per photo; {accepted} accepted of {args.images}",
    )


if __name__ == "__main__":
    main()
