"""Object storage against local folders: the same build local-to-local and S3-to-S3, in one run.

usage: python -m bench.object_store [--images 200] [--runner local|ray] [--memory 100 1000]

``--images 0`` skips the side-by-side builds.

Starts moto's S3 server on localhost in a process of its own (``moto[server]``,
a development dependency; the bucket lives in that process's memory, not the
driver's), uploads the inputs to a bucket, then, after a small build that
warms imports and model caches, builds the same photos with the same recipe
twice: from a local folder into a local folder, and from the bucket into the
bucket (reading every input and writing every shard, index and marker
through s3fs). Prints both wall times and the ratio of throughputs,
object store over local (the goal is 0.8 or more). With ``--memory``, builds
that many inputs bucket-to-bucket and prints the peak resident memory of the
driver process alone (its Ray workers are not counted), while chunks are built
and after (manifest, Croissant file, report): the first must not grow with the
number of inputs; the report's gallery grows up to its cap of 2,000 tiles.

The inputs are shifted and mirrored copies of the shared photos
(bench/photos.py); the near-duplicate filter, which would rightly reject them,
is switched off so that every input is processed.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

import vtondata
from bench.photos import make_inputs
from tests.servers import moto_server_process
from vtondata.output.shards import ChunkRecord
from vtondata.storage import locate, use_storage_options

NO_NEAR_DUPLICATES = {"quality.duplicates.min_hash_distance": "null"}
BUCKET = "vtondata-bench"


class DriverPeak:
    """Peak RSS of this process only, sampled every 50 ms, kept apart for two phases: while chunks
    are built, and after the last chunk (manifest, Croissant file and report)."""

    def __init__(self) -> None:
        self.peaks_bytes = {"chunks": 0, "after": 0}
        self.phase = "chunks"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            self.peaks_bytes[self.phase] = max(self.peaks_bytes[self.phase], me.memory_info().rss)
            time.sleep(0.05)

    def __enter__(self) -> DriverPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass(frozen=True)
class Timed:
    """One build: wall seconds, inputs, and the driver's peak MiB while chunks were built and after."""

    wall_s: float
    inputs: int
    chunks_mb: float
    after_mb: float


def timed_build(raw: str | Path, out: str | Path, runner: str) -> Timed:
    with DriverPeak() as peak:
        remaining = [0]

        def planned(inputs: int, done: int) -> None:
            remaining[0] = inputs - done

        def chunk_done(record: ChunkRecord) -> None:
            remaining[0] -= record.samples
            if remaining[0] <= 0:
                peak.phase = "after"

        started = time.perf_counter()
        result = vtondata.build(
            raw,
            out,
            "upper",
            "offline",
            NO_NEAR_DUPLICATES,
            runner=runner,
            overwrite=True,
            on_plan=planned,
            on_chunk_done=chunk_done,
        )
        wall = time.perf_counter() - started
    chunks_mb, after_mb = (peak.peaks_bytes[phase] / 2**20 for phase in ("chunks", "after"))
    return Timed(wall, result.inputs, chunks_mb, after_mb)


def upload(folder: Path, prefix: str) -> str:
    location = locate(f"s3://{BUCKET}/{prefix}")
    for photo in sorted(folder.iterdir()):
        location.fs.put_file(str(photo), location.path(photo.name))
    return location.url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--runner", choices=("local", "ray"), default="ray")
    parser.add_argument("--memory", type=int, nargs="*", default=[])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vtondata-bench-") as scratch, moto_server_process() as endpoint:
        use_storage_options({"endpoint_url": endpoint, "key": "bench", "secret": "bench"})
        locate(f"s3://{BUCKET}").fs.mkdir(BUCKET)
        # Not measured: the first build in a process pays for imports and model loading.
        warm = make_inputs(Path(scratch) / "warm", 4)
        timed_build(warm, Path(scratch) / "warm-out", args.runner)
        if args.images:
            raw = make_inputs(Path(scratch) / "raw", args.images)
            raw_url = upload(raw, "raw")
            local = timed_build(raw, Path(scratch) / "out", args.runner)
            remote = timed_build(raw_url, f"s3://{BUCKET}/out", args.runner)
            print(f"{local.inputs} photos, {args.runner} runner, offline recipe")
            for name, timed in (("local-to-local", local), ("S3-to-S3", remote)):
                rate = timed.inputs / timed.wall_s
                print(
                    f"{name:15} {timed.wall_s:7.1f} s  {rate:6.2f} photos/s  "
                    f"driver peak {timed.chunks_mb:.0f} MiB building chunks, {timed.after_mb:.0f} MiB after"
                )
            print(f"ratio (S3 throughput / local throughput): {local.wall_s / remote.wall_s:.2f}x")
        for count in args.memory:
            folder = make_inputs(Path(scratch) / f"raw-{count}", count)
            url = upload(folder, f"raw-{count}")
            timed = timed_build(url, f"s3://{BUCKET}/out-{count}", args.runner)
            print(
                f"S3-to-S3 {timed.inputs:5d} inputs: {timed.wall_s:7.1f} s, driver peak RSS "
                f"{timed.chunks_mb:.0f} MiB building chunks, {timed.after_mb:.0f} MiB after "
                "(manifest, Croissant, report)"
            )


if __name__ == "__main__":
    main()
