"""End-to-end throughput, per-stage time and peak memory of `vtondata build`.

usage: python bench/throughput.py [--images 200] [--runners local ray]
                                  [--recipe offline] [--rss 100 1000]

Prints, per runner: images per second, per-image seconds of each stage (from
the index's per-sample timings), and the share of wall time that is not model
inference. With --rss, builds that many inputs on the Ray runner and prints the
peak resident memory of the whole process tree (driver + Ray workers), to show
that memory does not grow with the number of inputs.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

import psutil

import vtondata
from bench.photos import make_inputs
from vtondata.output.index import read_index

MODEL_STAGES = ("pose", "segment")


class PeakRss:
    """Samples the RSS of this process and all its descendants every 100 ms."""

    def __init__(self) -> None:
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for process in [me, *me.children(recursive=True)]:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    continue
            self.peak_bytes = max(self.peak_bytes, total)
            time.sleep(0.1)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def stage_seconds(out: Path) -> dict[str, float]:
    """Mean seconds per accepted image for each stage, from the index."""
    table = read_index(out).to_pylist()
    rows = [row for row in table if row["accepted"]]
    totals: dict[str, float] = {}
    for row in rows:
        for stage, seconds in row["timings_s"]:
            totals[stage] = totals.get(stage, 0.0) + seconds
    return {stage: total / max(1, len(rows)) for stage, total in totals.items()}


def run_once(raw: Path, out: Path, runner: str, recipe: str, workers: int | None) -> dict[str, float]:
    with PeakRss() as rss:
        started = time.perf_counter()
        result = vtondata.build(raw, out, "upper", recipe, runner=runner, workers=workers, overwrite=True)
        wall = time.perf_counter() - started
    per_stage = stage_seconds(out)
    model_s = sum(per_stage.get(stage, 0.0) for stage in MODEL_STAGES) * result.accepted
    parallel = 1 if runner == "local" else (os.cpu_count() or 1)
    return {
        "inputs": result.inputs,
        "accepted": result.accepted,
        "wall_s": wall,
        "images_per_s": result.inputs / wall,
        "non_model_share": max(0.0, 1 - model_s / (wall * parallel)),
        "peak_rss_mb": rss.peak_bytes / 2**20,
        **{f"stage_{k}_s": v for k, v in per_stage.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--runners", nargs="+", default=["local", "ray"])
    parser.add_argument("--recipe", default="offline")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--rss", type=int, nargs="*", default=[], help="input counts for the memory runs")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        raw = make_inputs(tmp_path / "raw", args.images)
        print(f"{args.images} images, recipe {args.recipe}, {os.cpu_count()} CPUs")
        for runner in args.runners:
            figures = run_once(raw, tmp_path / f"out-{runner}", runner, args.recipe, args.workers)
            stages = "  ".join(
                f"{k[6:-2]} {v * 1000:.0f} ms" for k, v in figures.items() if k.startswith("stage_")
            )
            print(
                f"{runner:>5}: {figures['images_per_s']:.2f} img/s  wall {figures['wall_s']:.1f} s  "
                f"non-model share {figures['non_model_share']:.0%}  "
                f"peak RSS {figures['peak_rss_mb']:.0f} MB\n"
                f"       per image: {stages}"
            )
        for count in args.rss:
            raw_n = make_inputs(tmp_path / f"raw-{count}", count)
            figures = run_once(raw_n, tmp_path / f"out-rss-{count}", "ray", args.recipe, args.workers)
            print(
                f"  rss: {count} inputs -> peak {figures['peak_rss_mb']:.0f} MB ({figures['wall_s']:.0f} s)"
            )


if __name__ == "__main__":
    main()
