"""Stages in threads of their own: the same batches and output as stage after stage, a bounded number
of waves in flight, stages really at work on different waves at once, and errors that reach the caller."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import threading

import pytest

import vtondata
from tests.photos import link_photos, real_photos
from tests.runners.test_local import _chunk, _Decode, _decode_encode
from vtondata.output.shards import ChunkRecord
from vtondata.runners.base import run_stages
from vtondata.runners.local import LocalRunner, default_model_workers, model_copies
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


class _Meeting:
    """What every instance of :class:`_Turns` shares (copies get this same object, as copies of a
    stage share the model file they load): the first ``parties`` batches must run at once."""

    def __init__(self, parties: int) -> None:
        self.barrier = threading.Barrier(parties, timeout=30)
        self.lock = threading.Lock()
        self.started = 0

    def __deepcopy__(self, memo: dict) -> _Meeting:
        return self

    def enter(self) -> None:
        with self.lock:
            self.started += 1
            first = self.started <= self.barrier.parties
        if first:
            self.barrier.wait()


class _Turns(Stage):
    """A model stage whose instances note the batches they took and count their setups."""

    name = "model"
    resources = Resources(batch_size=4, stateful=True)

    def __init__(self, meeting: _Meeting) -> None:
        self.meeting = meeting
        self.batches: list[list[str]] = []
        self.set_up = self.torn_down = 0

    def setup(self) -> None:
        self.set_up += 1

    def teardown(self) -> None:
        self.torn_down += 1

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        self.batches.append([sample.key for sample in samples])
        self.meeting.enter()
        for sample in samples:
            sample.files = {"model.txt": f"{sample.key} seen".encode()}
        return samples


def _keys(*starts: int) -> list[list[str]]:
    return [[f"{n:06d}" for n in range(start, start + 4)] for start in starts]


def test_copies_of_a_model_stage_take_turns_wave_by_wave_at_once_and_keep_the_order():
    model = _Turns(_Meeting(2))
    other = copy.deepcopy(model)
    back = list(
        overlap_stages([_Decode(4), model], _waves(_chunk(16).samples(), 4), depth=4, copies={1: [other]})
    )
    assert [key for key, _ in back] == [0, 4, 8, 12]
    assert (model.batches, other.batches) == (_keys(0, 8), _keys(4, 12))
    samples = [sample for _, wave in back for sample in wave]
    assert [sample.files["model.txt"] for sample in samples] == [f"{n:06d} seen".encode() for n in range(16)]


def test_the_local_runner_copies_model_stages_on_the_cpu_only_and_only_for_more_than_one_wave():
    class OnGpu(Stage):
        name = "gpu"
        resources = Resources(batch_size=4, num_gpus=1, stateful=True)

    model, gpu, decode = _Turns(_Meeting(1)), OnGpu(), _Decode(4)
    copies = model_copies([decode, model, gpu], 3)
    assert list(copies) == [1] and len(copies[1]) == 2
    assert all(isinstance(one, _Turns) and one is not model for one in copies[1])
    assert model_copies([decode, model, gpu], 1) == {}
    assert [default_model_workers(cpus) for cpus in (1, 2, 16)] == [1, 2, 2]

    def nothing(index: int, samples: list[Sample]) -> ChunkRecord:
        return ChunkRecord(chunk=index, shard="", samples=len(samples), accepted=0, rejected=0)

    made: list[Stage] = []

    def watched(stages, workers):
        found = model_copies(stages, workers)
        made.extend(one for more in found.values() for one in more)
        return found

    # 16 samples in waves of 4 (a decode stage, then the model): the model and one copy of it take
    # two waves each, at once; both are set up once and torn down once.
    model = _Turns(_Meeting(2))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("vtondata.runners.local.model_copies", watched)
        LocalRunner(workers=2).run([_Decode(4), model], [_chunk(16)], nothing)
        (twin,) = made
        assert isinstance(twin, _Turns)
        assert (model.batches, twin.batches) == (_keys(0, 8), _keys(4, 12))
        assert (model.set_up, model.torn_down, twin.set_up, twin.torn_down) == (1, 1, 1, 1)
        # One wave: nothing for a second instance to do, so no second model is loaded.
        LocalRunner(workers=2).run([_Decode(4), _Turns(_Meeting(1))], [_chunk(3)], nothing)
        assert made == [twin]


def test_model_stages_that_share_a_backend_share_it_in_each_copy_too():
    class Backend:
        """Stands for a loaded model (SAM2, which the cloth and segment stages share)."""

    class Cloth(Stage):
        name = "cloth"
        resources = Resources(batch_size=4, stateful=True)

        def __init__(self, backend: Backend) -> None:
            self.backend = backend

    class Segment(Cloth):
        name = "segment"

    backend = Backend()
    stages = [_Decode(4), Cloth(backend), Segment(backend)]
    copies = model_copies(stages, 3)
    assert list(copies) == [1, 2] and all(len(more) == 2 for more in copies.values())
    for cloth, segment in zip(copies[1], copies[2], strict=True):
        assert cloth.backend is segment.backend and cloth.backend is not backend
    assert copies[1][0].backend is not copies[1][1].backend  # each instance loads its own


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


@pytest.mark.slow
def test_two_instances_of_the_holistic_stage_write_the_shards_of_one(tmp_path, monkeypatch):
    """16 real photos in two waves of 8: with two workers each wave's pose and segment batches run on
    an instance of its own, and the shards are the same bytes as with one."""
    raw = link_photos(tmp_path / "raw", real_photos())
    overrides = {"pose.batch_size": "4", "segment.batch_size": "4", "output.chunk_size": "16"}

    def digests(out):
        return [hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((out / "shards").glob("*.tar"))]

    one = vtondata.build(raw, tmp_path / "one", "upper", "offline", overrides, runner="local", workers=1)
    instances: set[int] = set()
    real_run = vtondata.runners.base.run_stages

    def watched(stages, samples):
        instances.update(id(stage) for stage in stages if stage.name == "pose")
        return real_run(stages, samples)

    monkeypatch.setattr("vtondata.runners.overlap.run_stages", watched)
    two = vtondata.build(raw, tmp_path / "two", "upper", "offline", overrides, runner="local", workers=2)
    assert len(instances) == 2
    assert (two.inputs, two.accepted) == (one.inputs, one.accepted) and one.inputs == 16
    assert digests(tmp_path / "two") == digests(tmp_path / "one") != []
