"""The Ray runner against the in-process one, where it reads and writes, and resuming after a SIGKILL."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import webdataset as wds

import vtondata
from tests.photos import link_photos, real_photos
from vtondata.config.ingest import IngestConfig
from vtondata.ingest.chunks import plan_chunks
from vtondata.ingest.scan import scan_inputs
from vtondata.output.index import read_index
from vtondata.output.verify import verify_dataset
from vtondata.runners.ray import RayRunner
from vtondata.sample import Category, Sample
from vtondata.stages.ingest import IngestStage

pytestmark = pytest.mark.slow
OVERRIDES = {"output.chunk_size": "3"}


def _shard_digests(out: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((out / "shards").glob("*.tar"))
    }


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    return link_photos(tmp_path_factory.mktemp("raw"), real_photos()[:8])


@pytest.fixture(scope="module")
def local_out(raw, tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "ds"
    vtondata.build(raw, out, "upper", "offline", OVERRIDES, runner="local")
    return out


def test_ray_and_local_runners_write_identical_shards(raw, local_out, tmp_path):
    out = tmp_path / "ray"
    result = vtondata.build(raw, out, "upper", "offline", OVERRIDES, runner="ray", workers=1)
    assert result.inputs == 8 and result.accepted + result.rejected == 8
    assert (result.runner, result.runner_reason) == ("ray", "--runner ray")
    digests = _shard_digests(out)
    assert len(digests) == 3
    assert digests == _shard_digests(local_out)
    local_index, ray_index = read_index(local_out), read_index(out)
    for column in ("key", "accepted", "reason_code", "shard"):
        assert ray_index.column(column).to_pylist() == local_index.column(column).to_pylist()


def _pid(_value: object) -> int:
    return os.getpid()


@dataclass(frozen=True)
class _PidWriter:
    """A chunk writer that reports which process wrote the chunk, and how many samples it got."""

    def __call__(self, chunk: int, samples: list[Sample]) -> tuple[int, int, int]:
        return chunk, os.getpid(), len(samples)


def test_workers_read_the_inputs_and_write_the_chunks(raw):
    config = IngestConfig()
    runner = RayRunner(workers=1)
    try:
        readers = runner.map(_pid, list(range(6)))
        items = scan_inputs(raw, config, mapper=runner.map)
        chunks = plan_chunks(items, 3, Category.UPPER)
        records = runner.run([IngestStage(config)], chunks, _PidWriter())
    finally:
        runner.close()
    assert len(readers) == 6 and os.getpid() not in readers
    assert items == scan_inputs(raw, config)  # the same hashes and verdicts as an in-process scan
    assert sorted(chunk for chunk, _pid, _count in records) == [0, 1, 2]
    assert sum(count for _chunk, _pid, count in records) == 8
    assert os.getpid() not in {pid for _chunk, pid, _count in records}


def test_rerun_of_a_complete_build_resumes_every_chunk(raw, local_out):
    before = _shard_digests(local_out)
    result = vtondata.build(raw, local_out, "upper", "offline", OVERRIDES, runner="local")
    assert result.resumed_chunks == 3
    assert _shard_digests(local_out) == before


def _build_command(raw: Path, out: Path) -> list[str]:
    return [
        sys.executable, "-m", "vtondata", "build", str(raw), str(out), "--category", "upper",
        "--pipeline", "offline", "--set", "output.chunk_size=2",
        "--runner", "ray", "--workers", "1", "--quiet",
    ]  # fmt: skip


def test_sigkill_midway_then_rerun_gives_the_uninterrupted_dataset(tmp_path):
    raw = link_photos(tmp_path / "raw", real_photos(), mirrored=True)
    inputs = len(list(raw.iterdir()))
    reference = tmp_path / "reference"
    vtondata.build(raw, reference, "upper", "offline", {"output.chunk_size": "2"}, runner="local")

    out = tmp_path / "killed"
    process = subprocess.Popen(_build_command(raw, out), start_new_session=True, env=os.environ.copy())
    markers = out / "chunks"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if markers.is_dir() and len(list(markers.glob("*.json"))) >= 2:
            break
        time.sleep(0.05)
    assert process.poll() is None, "the build finished before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    done_at_kill = len(list(markers.glob("*.json")))
    assert 2 <= done_at_kill < inputs // 2

    rerun = subprocess.run(_build_command(raw, out), env=os.environ.copy(), capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert _shard_digests(out) == _shard_digests(reference)
    index = read_index(out)
    keys = index.column("key").to_pylist()
    assert len(keys) == len(set(keys)) == inputs
    shard_keys = [
        s["__key__"]
        for s in wds.WebDataset(sorted(str(p) for p in (out / "shards").glob("*.tar")), shardshuffle=False)
    ]
    assert len(shard_keys) == len(set(shard_keys)) == sum(index.column("accepted").to_pylist())
    assert verify_dataset(out).ok
