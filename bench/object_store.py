"""Object storage against local folders: the same build local-to-local and S3-to-S3, in one run.

usage: python -m bench.object_store [--images 200] [--runner local|ray] [--memory 100 1000]

Starts moto's S3 server on localhost (``moto[server]``, a development
dependency), uploads the inputs to a bucket, then, after a small build that
warms imports and model caches, builds the same photos with the same recipe
twice: from a local folder into a local folder, and from the bucket into the
bucket (reading every input and writing every shard, index and marker
through s3fs). Prints both wall times and the ratio of throughputs,
object store over local (the goal is 0.8 or more). With ``--memory``, builds
that many inputs bucket-to-bucket and prints the peak resident memory of the
driver process alone (its Ray workers are not counted): the figure that must
not grow with the number of inputs.

The inputs are shifted and mirrored copies of the shared photos
(bench/photos.py); the near-duplicate filter, which would rightly reject them,
is switched off so that every input is processed.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

import psutil

import vtondata
from bench.photos import make_inputs
from tests.servers import moto_server
from vtondata.storage import locate, use_storage_options

NO_NEAR_DUPLICATES = {"quality.duplicates.min_hash_distance": "null"}
BUCKET = "vtondata-bench"


class DriverPeak:
    """Peak RSS of this process only, sampled every 100 ms."""

    def __init__(self) -> None:
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            self.peak_bytes = max(self.peak_bytes, me.memory_info().rss)
            time.sleep(0.1)

    def __enter__(self) -> DriverPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def timed_build(raw: str | Path, out: str | Path, runner: str) -> tuple[float, int, float]:
    """Wall seconds, inputs and driver peak MiB of one build."""
    with DriverPeak() as peak:
        started = time.perf_counter()
        result = vtondata.build(
            raw, out, "upper", "offline", NO_NEAR_DUPLICATES, runner=runner, overwrite=True
        )
        wall = time.perf_counter() - started
    return wall, result.inputs, peak.peak_bytes / 2**20


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
    with tempfile.TemporaryDirectory(prefix="vtondata-bench-") as scratch, moto_server() as endpoint:
        use_storage_options({"endpoint_url": endpoint, "key": "bench", "secret": "bench"})
        locate(f"s3://{BUCKET}").fs.mkdir(BUCKET)
        raw = make_inputs(Path(scratch) / "raw", args.images)
        raw_url = upload(raw, "raw")
        # Not measured: the first build in a process pays for imports and model loading.
        warm = make_inputs(Path(scratch) / "warm", 4)
        timed_build(warm, Path(scratch) / "warm-out", args.runner)
        local_s, inputs, local_mb = timed_build(raw, Path(scratch) / "out", args.runner)
        remote_s, _, remote_mb = timed_build(raw_url, f"s3://{BUCKET}/out", args.runner)
        print(f"{inputs} photos, {args.runner} runner, offline recipe")
        rows = (("local-to-local", local_s, local_mb), ("S3-to-S3", remote_s, remote_mb))
        for name, seconds, peak_mb in rows:
            rate = inputs / seconds
            print(f"{name:15} {seconds:7.1f} s  {rate:6.2f} photos/s  driver peak {peak_mb:.0f} MiB")
        print(f"ratio (S3 throughput / local throughput): {local_s / remote_s:.2f}x")
        for count in args.memory:
            folder = make_inputs(Path(scratch) / f"raw-{count}", count)
            url = upload(folder, f"raw-{count}")
            wall, inputs, peak_mb = timed_build(url, f"s3://{BUCKET}/out-{count}", args.runner)
            print(f"S3-to-S3 {inputs:5d} inputs: {wall:7.1f} s, driver peak RSS {peak_mb:.0f} MiB")


if __name__ == "__main__":
    main()
