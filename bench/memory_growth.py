"""What the in-process build keeps as it goes: tracemalloc growth from the first chunk to the last.

usage: python -m bench.memory_growth [--images 384] [--chunk-size 64] [--recipe offline] [--top 12]

Builds ``--images`` inputs (bench/photos.py) on the local runner with
tracemalloc on, takes a snapshot when the first chunk is written and another
when the last one is, and prints the source lines whose live allocations grew
most in between, then the traced peak over the stages and over the whole build
(report included). Memory that is not allocated through Python or numpy
(OpenCV, MediaPipe, TensorFlow Lite) is not traced; compare with the PSS
figures of ``python -m bench.throughput --memory``.
"""

from __future__ import annotations

import argparse
import tempfile
import tracemalloc
from pathlib import Path

import vtondata
from bench.photos import make_inputs
from bench.throughput import NO_NEAR_DUPLICATES


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--images", type=int, default=384)
    parser.add_argument(
        "--chunk-size", type=int, default=None, help="output.chunk_size (default: the recipe's)"
    )
    parser.add_argument("--recipe", default="offline")
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        raw = make_inputs(Path(tmp) / "raw", args.images)
        snapshots: list[tracemalloc.Snapshot] = []
        peaks: list[int] = []

        def on_chunk_done(record: object) -> None:
            snapshots.append(tracemalloc.take_snapshot())
            peaks.append(tracemalloc.get_traced_memory()[1])

        tracemalloc.start(8)
        result = vtondata.build(
            raw,
            Path(tmp) / "out",
            "upper",
            args.recipe,
            {**NO_NEAR_DUPLICATES, **({"output.chunk_size": args.chunk_size} if args.chunk_size else {})},
            runner="local",
            on_chunk_done=on_chunk_done,
        )
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    first, last = snapshots[0], snapshots[-1]
    print(
        f"{result.inputs} inputs, {len(snapshots)} chunks; traced after chunk 1: "
        f"{sum(s.size for s in first.statistics('filename')) / 2**20:.1f} MB, after the last: "
        f"{sum(s.size for s in last.statistics('filename')) / 2**20:.1f} MB; traced peak during the stages "
        f"{max(peaks) / 2**20:.1f} MB, over the whole build {peak / 2**20:.1f} MB, "
        f"at the end {current / 2**20:.1f} MB"
    )
    print(f"largest growth from the first chunk to the last ({len(snapshots) - 1} chunks later):")
    for stat in last.compare_to(first, "traceback")[: args.top]:
        frames = [f"{frame.filename.split('site-packages/')[-1]}:{frame.lineno}" for frame in stat.traceback]
        print(f"  {stat.size_diff / 2**20:+8.2f} MB  {stat.count_diff:+7d} blocks  {' < '.join(frames[:4])}")


if __name__ == "__main__":
    main()
