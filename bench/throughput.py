"""End-to-end throughput, per-stage time and peak memory of `vtondata build`.

usage: python -m bench.throughput [--images 200] [--runners local ray] [--recipes offline ...] [--rounds 1]
                                  [--memory 100 1000] [--memory-runner ray|local] [--chunk-size N]

``--images 0`` runs only the memory builds.

``--recipes`` takes bundled names or YAML paths and runs each on the same
inputs, one after the other, so their figures compare; with more than one,
the summary gives each recipe's images/s as a ratio of the first's.
``bench/recipes/offline-0.1.yaml`` is the offline recipe as version 0.1
shipped it (MediaPipe pose, then MediaPipe's pose model again for the
silhouette), kept to measure the current one against.

Every build runs in a fresh process, as a user runs one: a build that
followed another in the same process found the libraries imported and the
caches warm, and ran 2-3 s faster in 15 s than the same build run first.
``--rounds N`` repeats the builds, the recipes in reverse order every other
round, so that a machine's drift during the run favours no recipe.

Prints, per runner: images per second, per-image seconds of each stage (from
the index's per-sample timings), and the share of wall time that is not model
inference. A stage counts as model inference when its backend runs model
weights (``weights_sha256``): the offline recipe's segment stage draws its
layers from the pose stage's landmarks and counts as non-model work; on the
local runner the model time is divided among the instances of the model
stage that run at once (``runner.workers``). Then the
quality stage alone on one core (OpenCV limited to one thread), each sample
as a worker receives it (image not yet decoded): the budget is 15 ms per
768x1024 photo.

With --memory, builds that many inputs on the Ray runner (or
--memory-runner), each build in a fresh process as a user runs it, and
prints the peak memory of the whole process tree (driver + Ray workers) as
the sum of proportional set sizes (PSS: shared pages, such as Ray's object
store, counted once rather than once per process), to show that memory does
not grow with the number of inputs. A worker holds one wave of a chunk at a
time (docs/runners.md), so its peak follows the wave and not the input
count; ``--chunk-size`` sets the chunk size of these builds.

The inputs are shifted and mirrored copies of the 16 shared photos, which the
near-duplicate filter would rightly reject; it is switched off here so that
every input is processed.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import psutil

import vtondata
from bench.photos import make_inputs
from vtondata.output.index import read_index

NO_NEAR_DUPLICATES = {"quality.duplicates.min_hash_distance": "null"}


class PeakMemory:
    """Samples the summed PSS and USS of this process and all its descendants every 200 ms.

    It also keeps each process's CPU time as last seen, so that ``cpu_s`` is the
    CPU time of the whole tree (Ray workers included), which a busy machine
    does not inflate the way it inflates wall time.

    USS (pages private to one process) leaves out the shared object store, which
    fills up to its cap (``runner.object_store_mb``) on long runs whatever the
    input count; PSS includes a proportional share of it.
    """

    def __init__(self) -> None:
        self.peak_bytes = 0
        self.peak_private_bytes = 0
        self._cpu_s_by_pid: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = private = 0
            for process in [me, *me.children(recursive=True)]:
                try:
                    info = process.memory_full_info()
                    times = process.cpu_times()
                except psutil.Error:
                    continue
                self._cpu_s_by_pid[process.pid] = times.user + times.system
                total += info.pss
                private += info.uss
            self.peak_bytes = max(self.peak_bytes, total)
            self.peak_private_bytes = max(self.peak_private_bytes, private)
            time.sleep(0.2)

    @property
    def cpu_s(self) -> float:
        """CPU seconds of the process tree, as last seen for each process (this one included)."""
        return sum(self._cpu_s_by_pid.values())

    def __enter__(self) -> PeakMemory:
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


def model_workers(recipe: str, workers: int | None) -> int:
    """Instances of each model stage the local runner runs at once, so that their summed time is
    divided among them (docs/runners.md)."""
    from vtondata.config import load_recipe
    from vtondata.runners.local import default_model_workers

    return workers or load_recipe(recipe).runner.workers or default_model_workers()


def model_stages(recipe: str) -> set[str]:
    """Names of the recipe's stages whose backend runs model weights."""
    from vtondata.api import build_stages
    from vtondata.config import load_recipe

    return {
        stage.name
        for stage in build_stages(load_recipe(recipe))
        if getattr(getattr(stage, "backend", None), "weights_sha256", None) is not None
    }


def run_once(
    raw: Path, out: Path, runner: str, recipe: str, workers: int | None, chunk_size: int | None = None
) -> dict[str, float]:
    overrides = {**NO_NEAR_DUPLICATES, **({"output.chunk_size": str(chunk_size)} if chunk_size else {})}
    with PeakMemory() as memory:
        cpu_before = psutil.Process().cpu_times()
        started = time.perf_counter()
        result = vtondata.build(
            raw, out, "upper", recipe, overrides, runner=runner, workers=workers, overwrite=True
        )
        wall = time.perf_counter() - started
    per_stage = stage_seconds(out)
    model_s = sum(per_stage.get(stage, 0.0) for stage in model_stages(recipe)) * result.accepted
    parallel = model_workers(recipe, workers) if runner == "local" else (os.cpu_count() or 1)
    return {
        "inputs": result.inputs,
        "accepted": result.accepted,
        "wall_s": wall,
        "cpu_s": memory.cpu_s - cpu_before.user - cpu_before.system,
        "images_per_s": result.inputs / wall,
        "non_model_share": max(0.0, 1 - model_s / (wall * parallel)),
        "peak_pss_mb": memory.peak_bytes / 2**20,
        "peak_uss_mb": memory.peak_private_bytes / 2**20,
        **{f"stage_{k}_s": v for k, v in per_stage.items()},
    }


def run_fresh(
    raw: Path, out: Path, runner: str, recipe: str, workers: int | None, chunk_size: int | None = None
) -> dict[str, float]:
    """:func:`run_once` in a fresh process: a build that followed another in the same process would
    find the libraries imported and start from the heap and the caches the first one left."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(run_once, raw, out, runner, recipe, workers, chunk_size).result()


def print_build(recipe: str, runner: str, figures: dict[str, float]) -> None:
    stages = "  ".join(f"{k[6:-2]} {v * 1000:.0f} ms" for k, v in figures.items() if k.startswith("stage_"))
    print(
        f"{Path(recipe).stem} {runner:>5}: {figures['images_per_s']:.2f} img/s  "
        f"wall {figures['wall_s']:.1f} s  CPU {figures['cpu_s']:.1f} s  "
        f"non-model share {figures['non_model_share']:.0%}  "
        f"peak PSS {figures['peak_pss_mb']:.0f} MB  "
        f"accepted {figures['accepted']}/{figures['inputs']}\n"
        f"       per image: {stages}"
    )


def print_ratios(rates: dict[tuple[str, str], list[float]], recipes: list[str], runners: list[str]) -> None:
    """Each recipe's mean images/s over the rounds, and its ratio to the first recipe's, per runner."""
    for runner in runners:
        first = statistics.fmean(rates[(recipes[0], runner)])
        for recipe in recipes:
            runs = rates[(recipe, runner)]
            mean = statistics.fmean(runs)
            print(
                f"{runner:>5} {Path(recipe).stem}: {mean:.2f} img/s over {len(runs)} build(s) "
                f"({', '.join(f'{rate:.2f}' for rate in runs)}), {mean / first:.2f}x {Path(recipes[0]).stem}"
            )


def quality_ms_one_core(raw: Path, recipe: str, count: int = 32) -> tuple[float, float]:
    """Median wall and median CPU milliseconds of the quality stage per photo on one core, decoding
    included. With OpenCV on one thread all the work runs on the calling thread, so its CPU time is the
    cost on one core even when other processes share the machine (wall time then grows, CPU time not)."""
    import pickle

    import cv2

    from vtondata.api import build_stages
    from vtondata.config import load_recipe
    from vtondata.ingest.chunks import plan_chunks
    from vtondata.ingest.scan import scan_inputs
    from vtondata.runners.base import run_stages
    from vtondata.sample import Category

    loaded = load_recipe(recipe)
    stages = build_stages(loaded)
    quality = next(stage for stage in stages if stage.name == "quality")
    before = stages[: stages.index(quality)]
    items = scan_inputs(raw, loaded.ingest)[:count]
    samples = [
        sample for chunk in plan_chunks(items, len(items), Category.UPPER) for sample in chunk.samples()
    ]
    for stage in before:
        stage.setup()
    samples = [sample for sample in run_stages(before, samples) if sample.accepted]
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        wall, cpu = [], []
        for sample in samples:
            fresh = pickle.loads(pickle.dumps(sample))
            started, started_cpu = time.perf_counter(), time.thread_time()
            quality.process_batch([fresh])
            wall.append(time.perf_counter() - started)
            cpu.append(time.thread_time() - started_cpu)
    finally:
        cv2.setNumThreads(threads)
    return sorted(wall)[len(wall) // 2] * 1000, sorted(cpu)[len(cpu) // 2] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--runners", nargs="+", default=["local", "ray"])
    parser.add_argument("--recipes", nargs="+", default=["offline"], help="bundled names or YAML paths")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument(
        "--rounds", type=int, default=1, help="repeat the builds, alternating the recipes' order"
    )
    parser.add_argument("--memory", type=int, nargs="*", default=[], help="input counts for the memory runs")
    parser.add_argument("--memory-runner", default="ray", choices=["local", "ray"])
    parser.add_argument(
        "--chunk-size", type=int, default=None, help="output.chunk_size (default: the recipe's)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        if args.images:
            raw = make_inputs(tmp_path / "raw", args.images)
            print(f"{args.images} images, {os.cpu_count()} CPUs")
            rates: dict[tuple[str, str], list[float]] = {}
            for round_index in range(args.rounds):
                recipes = args.recipes if round_index % 2 == 0 else args.recipes[::-1]
                for recipe in recipes:
                    for runner in args.runners:
                        figures = run_fresh(
                            raw, tmp_path / f"out-{runner}", runner, recipe, args.workers, args.chunk_size
                        )
                        rates.setdefault((recipe, runner), []).append(figures["images_per_s"])
                        print_build(recipe, runner, figures)
            for recipe in args.recipes:
                wall_ms, cpu_ms = quality_ms_one_core(raw, recipe)
                print(
                    f"{Path(recipe).stem} quality stage, one core, decoding included: "
                    f"median {cpu_ms:.1f} ms CPU, {wall_ms:.1f} ms wall"
                )
            if len(args.recipes) > 1 or args.rounds > 1:
                print_ratios(rates, args.recipes, args.runners)
        for count in args.memory:
            raw_n = make_inputs(tmp_path / f"raw-{count}", count)
            out = tmp_path / f"out-memory-{count}"
            figures = run_fresh(
                raw_n, out, args.memory_runner, args.recipes[0], args.workers, args.chunk_size
            )
            print(
                f"  memory ({args.memory_runner}): {count} inputs ({figures['accepted']} accepted) -> "
                f"peak PSS {figures['peak_pss_mb']:.0f} MB, private (USS) {figures['peak_uss_mb']:.0f} MB "
                f"({figures['wall_s']:.0f} s wall, {figures['cpu_s']:.0f} s CPU)"
            )


if __name__ == "__main__":
    main()
