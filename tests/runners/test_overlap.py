"""Stages in threads of their own: the same batches and output as stage after stage, a bounded number
of waves in flight, stages really at work on different waves at once, and errors that reach the caller."""

from __future__ import annotations

import dataclasses
import hashlib
import threading

import pytest

import vtondata
from tests.photos import link_photos, real_photos
from tests.runners.test_local import _chunk, _Decode, _decode_encode
from vtondata.output.shards import ChunkRecord
from vtondata.runners.base import run_stages
from vtondata.runners.local import LocalRunner
from vtondata.runners.overlap import overlap_stages
from vtondata.sample import Sample
from vtondata.stages.base import Resources, Stage


def _waves(samples: list[Sample], size: int) -> list[tuple[int, list[Sample]]]:
    return [(start, samples[start : start + size]) for start in range(0, len(samples), size)]


class _Counting(Stage):
    """Counts the waves that entered the pipeline (first stage) and have not come back yet."""

    name = "count"

    def __init__(self, live: list[int], peak: list[int]) -> None:
        self.resources = Resources(batch_size=4)
        self.live, self.peak = live, peak

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        self.live[0] += 1
        self.peak[0] = max(self.peak[0], self.live[0])
        return samples


def test_overlapped_stages_see_the_batches_of_the_sequence_and_give_the_same_output():
    whole_decode, whole_encode = _decode_encode()
    reference = run_stages([whole_decode, whole_encode], _chunk(36).samples())

    decode, encode = _decode_encode()
    back = list(overlap_stages([decode, encode], _waves(_chunk(36).samples(), 12), depth=3))
    assert [key for key, _ in back] == [0, 12, 24]
    assert decode.batches == whole_decode.batches and encode.batches == whole_encode.batches
    samples = [sample for _, wave in back for sample in wave]
    assert [sample.files for sample in samples] == [sample.files for sample in reference]


def test_at_most_depth_waves_are_in_flight():
    live, peak = [0], [0]
    waves = _waves(_chunk(40).samples(), 4)
    for _ in overlap_stages([_Counting(live, peak), _Decode(4)], waves, depth=2):
        live[0] -= 1
    assert live == [0] and 1 <= peak[0] <= 2


def test_a_later_stage_works_on_an_earlier_wave_while_the_first_stage_takes_the_next():
    second_saw_first_wave = threading.Event()

    class First(Stage):
        name = "first"
        resources = Resources(batch_size=4)

        def __init__(self) -> None:
            self.waves = 0

        def process_batch(self, samples: list[Sample]) -> list[Sample]:
            self.waves += 1
            # Stage after stage, the second stage could not run until this one returned: it would time out.
            if self.waves == 2:
                assert second_saw_first_wave.wait(timeout=30), "the second stage never ran concurrently"
            return samples

    class Second(Stage):
        name = "second"
        resources = Resources(batch_size=4)

        def process_batch(self, samples: list[Sample]) -> list[Sample]:
            second_saw_first_wave.set()
            return samples

    back = list(overlap_stages([First(), Second()], _waves(_chunk(8).samples(), 4), depth=2))
    assert [len(wave) for _, wave in back] == [4, 4]


def test_a_stage_that_breaks_its_contract_stops_the_run_with_its_error():
    class Dropping(Stage):
        name = "dropping"
        resources = Resources(batch_size=4)

        def process_batch(self, samples: list[Sample]) -> list[Sample]:
            return samples[:-1]

    with pytest.raises(RuntimeError, match="dropping changed the number"):
        list(overlap_stages([_Decode(4), Dropping()], _waves(_chunk(40).samples(), 4), depth=3))
    with pytest.raises(ValueError, match="depth"):
        list(overlap_stages([_Decode(4)], [], depth=0))


@pytest.mark.parametrize("overlap", [True, False])
def test_the_local_runner_writes_each_chunk_whole_and_in_order_with_or_without_overlap(overlap):
    chunks = [_chunk(30), dataclasses.replace(_chunk(30), index=1)]
    written: dict[int, list[Sample]] = {}
    done: list[int] = []

    def write(index: int, samples: list[Sample]) -> ChunkRecord:
        written[index] = samples
        return ChunkRecord(chunk=index, shard="", samples=len(samples), accepted=len(samples), rejected=0)

    decode, encode = _decode_encode()
    records = LocalRunner(overlap=overlap).run(
        [decode, encode], chunks, write, lambda record: done.append(record.chunk)
    )
    assert [record.chunk for record in records] == done == [0, 1]
    assert [len(written[0]), len(written[1])] == [30, 30]
    assert all(sample.layers == {} and sample.files for samples in written.values() for sample in samples)
    # Each chunk's samples come back in order; arrays are held by a few waves, never a whole chunk.
    assert [sample.key for sample in written[1]] == [f"{n:06d}" for n in range(30)]
    assert max(encode.holding) <= (3 * 12 if overlap else 12)


def test_batch_threads_run_the_batches_of_a_stage_without_a_model_at_once_and_keep_the_output():
    both_running = threading.Barrier(2, timeout=30)

    class Meeting(Stage):
        """Two of its batches must be in process_batch together, or the barrier times out."""

        name = "meeting"
        resources = Resources(batch_size=3)

        def __init__(self) -> None:
            self.batches: list[list[str]] = []

        def process_batch(self, samples: list[Sample]) -> list[Sample]:
            self.batches.append([sample.key for sample in samples])
            if len(self.batches) <= 2:
                both_running.wait()
            return samples

    class Model(Stage):
        """A stateful stage: never two of its batches at once."""

        name = "model"
        resources = Resources(batch_size=3, stateful=True)

        def __init__(self) -> None:
            self.running, self.most = 0, 0
            self.lock = threading.Lock()

        def process_batch(self, samples: list[Sample]) -> list[Sample]:
            with self.lock:
                self.running += 1
                self.most = max(self.most, self.running)
            threading.Event().wait(0.01)
            with self.lock:
                self.running -= 1
            return samples

    whole_decode, whole_encode = _decode_encode()
    reference = run_stages([whole_decode, whole_encode], _chunk(36).samples())
    meeting, model = Meeting(), Model()
    decode, encode = _decode_encode()
    stages = [meeting, decode, model, encode]
    back = list(overlap_stages(stages, _waves(_chunk(36).samples(), 12), depth=3, batch_threads=4))
    samples = [sample for _, wave in back for sample in wave]
    assert [sample.key for sample in samples] == [f"{n:06d}" for n in range(36)]
    assert [sample.files for sample in samples] == [sample.files for sample in reference]
    assert sorted(decode.batches) == sorted(whole_decode.batches)
    assert sorted(encode.batches) == sorted(whole_encode.batches)
    assert model.most == 1
    with pytest.raises(ValueError, match="batch_threads"):
        list(overlap_stages([_Decode(4)], [], depth=1, batch_threads=0))


def test_half_the_cpus_run_batches_and_two_cores_keep_one_thread_per_stage():
    from vtondata.runners.local import default_batch_threads

    assert [default_batch_threads(cpus) for cpus in (1, 2, 3, 16)] == [1, 1, 1, 8]


@pytest.mark.slow
def test_the_real_stages_on_batch_threads_write_the_shards_of_one_thread_per_stage(tmp_path, monkeypatch):
    """16 real photos in one wave (model batches of 16): the ingest, quality, mask and encode stages
    each run their two batches of 8 at once, and the shards are the same bytes."""
    raw = link_photos(tmp_path / "raw", real_photos())
    overrides = {"pose.batch_size": "16", "segment.batch_size": "16", "output.chunk_size": "16"}

    def digests(out):
        return [hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((out / "shards").glob("*.tar"))]

    one = vtondata.build(
        raw, tmp_path / "one", "upper", "offline", {**overrides, "runner.batch_threads": "1"}, runner="local"
    )
    threads = []
    real_run = vtondata.runners.base.run_stage_batch

    def watched(stage, samples):
        threads.append(threading.current_thread().name)
        return real_run(stage, samples)

    monkeypatch.setattr("vtondata.runners.overlap.run_stage_batch", watched)
    four = vtondata.build(
        raw, tmp_path / "four", "upper", "offline", {**overrides, "runner.batch_threads": "4"}, runner="local"
    )
    assert len({name for name in threads if name.startswith("vtondata-batch")}) >= 2
    assert (four.inputs, four.accepted) == (one.inputs, one.accepted)
    assert one.inputs == 16 and one.accepted >= 12
    assert digests(tmp_path / "four") == digests(tmp_path / "one") != []
