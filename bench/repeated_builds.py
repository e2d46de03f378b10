"""Memory of one process that builds again and again, as a notebook or a test session does.

usage: python -m bench.repeated_builds [--builds 5] [--images 16] [--recipe offline] [--workers N]

Builds ``--images`` inputs (bench/photos.py) ``--builds`` times in this
process on the local runner, each into a new folder, and prints the process's
resident memory after each build (after a garbage collection). A build that
leaves its models behind shows as a step per build: a MediaPipe graph that is
never closed keeps its threads and its memory, even once nothing refers to it.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import tempfile
from pathlib import Path

import psutil

import vtondata
from bench.photos import make_inputs
from bench.throughput import NO_NEAR_DUPLICATES


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--builds", type=int, default=5)
    parser.add_argument("--images", type=int, default=16)
    parser.add_argument("--recipe", default="offline")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    process = psutil.Process()
    resident = []
    with tempfile.TemporaryDirectory() as tmp:
        raw = make_inputs(Path(tmp) / "raw", args.images)
        for number in range(args.builds):
            out = Path(tmp) / f"out-{number}"
            vtondata.build(
                raw, out, "upper", args.recipe, NO_NEAR_DUPLICATES, runner="local", workers=args.workers
            )
            gc.collect()
            resident.append(process.memory_info().rss / 2**20)
            print(f"build {number + 1}: {resident[-1]:.0f} MB resident", flush=True)
    steps = [later - earlier for earlier, later in itertools.pairwise(resident)]
    if steps:
        print(f"per build after the first: {sum(steps) / len(steps):+.0f} MB on average")


if __name__ == "__main__":
    main()
