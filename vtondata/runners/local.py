"""In-process runner: deterministic, one process; for small builds, tests, notebooks and debugging.

Chunks run one after another; the samples go through every stage a wave at a
time, each stage seeing them in batches of its own ``resources.batch_size``
and, by default, working in a thread of its own on another wave than the
stages around it (:mod:`vtondata.runners.overlap`). The output is
byte-identical to the Ray runner's for the same inputs and recipe, and to
this runner's without the threads.
"""

from __future__ import annotations

import copy
import math
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from typing import Any

from vtondata.ingest.chunks import Chunk
from vtondata.output.shards import ChunkRecord
from vtondata.runners.base import ChunkCallback, ChunkWriter, run_stages
from vtondata.runners.choice import available_cpus
from vtondata.runners.heap import release_freed_memory
from vtondata.runners.overlap import overlap_stages
from vtondata.sample import Sample
from vtondata.stages.base import Stage


def build_chunk(stages: Sequence[Stage], chunk: Chunk, write_chunk: ChunkWriter) -> ChunkRecord:
    """Run every stage over ``chunk`` a wave of samples at a time, write it, and hand the memory its
    samples held back to the operating system (:mod:`vtondata.runners.heap`); the chunk's record.

    A wave (:func:`wave_size` samples) goes through every stage, then drops its
    arrays (:meth:`Sample.drop_arrays`) and keeps only what the shard and the
    index need, so a worker's memory follows the wave and not the chunk. Each
    stage still sees the same batches as over the whole chunk, and every
    sample is processed on its own, so the shard is the same either way.
    """
    built: list[Sample] = []
    for wave in chunk_waves(chunk, wave_size(stages)):
        for sample in run_stages(stages, wave):
            sample.drop_arrays()
            built.append(sample)
    record = write_chunk(chunk.index, built)
    release_freed_memory()
    return record


def wave_size(stages: Sequence[Stage]) -> int:
    """The smallest count every stage's batch size divides, so waves cut no batch short."""
    return math.lcm(*(stage.resources.batch_size for stage in stages)) if stages else 1


def chunk_waves(chunk: Chunk, size: int) -> list[list[Sample]]:
    """``chunk``'s fresh samples cut into waves of ``size``; a chunk without samples is one empty wave,
    so that it is still written."""
    samples = chunk.samples()
    return [samples[number * size : (number + 1) * size] for number in range(wave_count(chunk, size))]


def wave_count(chunk: Chunk, size: int) -> int:
    """How many waves :func:`chunk_waves` cuts ``chunk`` into, without making its samples."""
    return math.ceil(max(1, len(chunk.items)) / size)


def default_model_workers(cpus: int | None = None) -> int:
    """Instances of each model stage on the CPU: two, or one on a single core.

    A second instance fills the gaps of the first (its Python between model
    calls, the graph's last nodes while its other threads idle). On two cores
    it made the offline recipe's builds about a tenth faster and 0.1's path,
    whose two model stages already share the cores, a few percent
    (docs/runners.md); more instances would hold more models for no core to
    run them on.
    """
    return min(2, available_cpus() if cpus is None else cpus)


def model_copies(stages: Sequence[Stage], workers: int) -> dict[int, list[Stage]]:
    """``workers - 1`` fresh copies of each model stage placed on the CPU, by position.

    Copies are made before ``setup`` (as Ray ships a stage to its actors), so
    each loads a model of its own. The stages of one instance are copied
    together, so those that share a backend share its copy, as the originals
    do: the default recipe's cloth and segment stages run one SAM2 model, and
    two instances hold two, not three. A stage placed on a GPU keeps one
    instance: a second would hold a second model in the one device's memory.
    """
    if workers < 2:
        return {}
    copies: dict[int, list[Stage]] = {
        position: []
        for position, stage in enumerate(stages)
        if stage.resources.stateful and stage.resources.num_gpus == 0
    }
    for _ in range(workers - 1):
        shared: dict[int, object] = {}  # deepcopy's memo: an object met twice is copied once
        for position, more in copies.items():
            more.append(copy.deepcopy(stages[position], shared))
    return copies


def default_batch_threads(cpus: int | None = None) -> int:
    """Threads for the batches of the stages without a model: half the CPUs this process may run on.

    The other half is left to the model stages' threads and the libraries
    they call. Two cores give one thread, which is one thread per stage.
    """
    return max(1, (available_cpus() if cpus is None else cpus) // 2)


class LocalRunner:
    """Runs stages in this process; ``setup`` once before the first chunk.

    With ``overlap`` (the default) each stage works in a thread of its own on
    a different wave (:mod:`vtondata.runners.overlap`), so the model of one
    wave runs while the cheaper stages finish the one before, and the batches
    of a wave in the stages without a model run on ``batch_threads`` threads
    at once (default :func:`default_batch_threads`), and each model stage on
    the CPU runs as ``workers`` instances that take turns wave by wave
    (default :func:`default_model_workers`); the output is the same as stage
    after stage (``overlap=False``).
    """

    def __init__(
        self, overlap: bool = True, batch_threads: int | None = None, workers: int | None = None
    ) -> None:
        self.overlap = overlap
        self.batch_threads = default_batch_threads() if batch_threads is None else batch_threads
        self.workers = default_model_workers() if workers is None else workers

    def map(self, function: Callable[[Any], Any], values: Sequence[Any]) -> list[Any]:
        """``function`` over ``values`` in this process, in order."""
        return [function(value) for value in values]

    def close(self) -> None:
        """Nothing to release: stages are torn down at the end of :meth:`run`."""

    def run(
        self,
        stages: Sequence[Stage],
        chunks: Sequence[Chunk],
        write_chunk: ChunkWriter,
        on_chunk_done: ChunkCallback | None = None,
    ) -> list[ChunkRecord]:
        size = wave_size(stages)
        waves = sum(wave_count(chunk, size) for chunk in chunks)
        # One wave keeps one instance busy: a build of a few photos loads no second model.
        copies = model_copies(stages, min(self.workers, waves)) if self.overlap else {}
        every = [*stages, *(stage for more in copies.values() for stage in more)]
        for stage in every:
            stage.setup()
        try:
            if self.overlap:
                records = _run_overlapped(
                    stages, chunks, write_chunk, on_chunk_done, self.batch_threads, copies
                )
            else:
                records = []
                for chunk in chunks:
                    records.append(build_chunk(stages, chunk, write_chunk))
                    if on_chunk_done is not None:
                        on_chunk_done(records[-1])
        finally:
            for stage in every:
                stage.teardown()
        return records


def _run_overlapped(
    stages: Sequence[Stage],
    chunks: Sequence[Chunk],
    write_chunk: ChunkWriter,
    on_chunk_done: ChunkCallback | None,
    batch_threads: int,
    copies: dict[int, list[Stage]],
) -> list[ChunkRecord]:
    """Every chunk's waves through :func:`overlap_stages`; each chunk written once its last wave is back.

    Three waves in flight keep two cores busy (one in the model stage, one in
    the stages after it, one decoded and waiting) while holding only a few
    waves' arrays; each copy of a model stage takes one more. Chunks are
    written by a thread of their own, so that a slow write (object storage, a
    busy disk) does not keep this thread from feeding the stages;
    ``on_chunk_done`` is called from this thread, in chunk order.
    """
    size = wave_size(stages)

    def waves() -> Iterator[tuple[tuple[int, bool], list[Sample]]]:
        for position, chunk in enumerate(chunks):
            cut = chunk_waves(chunk, size)
            for number, wave in enumerate(cut):
                yield (position, number == len(cut) - 1), wave

    def write(index: int, samples: list[Sample]) -> ChunkRecord:
        record = write_chunk(index, samples)
        release_freed_memory()
        return record

    records: list[ChunkRecord] = []

    def report(written: Future[ChunkRecord]) -> None:
        records.append(written.result())
        if on_chunk_done is not None:
            on_chunk_done(records[-1])

    built: list[Sample] = []
    writes: deque[Future[ChunkRecord]] = deque()
    with (
        ThreadPoolExecutor(1, thread_name_prefix="vtondata-write") as writer,
        closing(
            overlap_stages(
                stages,
                waves(),
                depth=3 + sum(len(more) for more in copies.values()),
                batch_threads=batch_threads,
                copies=copies,
            )
        ) as finished,
    ):
        for (position, last), samples in finished:
            for sample in samples:
                sample.drop_arrays()
            built.extend(samples)
            if last:
                writes.append(writer.submit(write, chunks[position].index, built))
                built = []
            while writes and writes[0].done():
                report(writes.popleft())
        while writes:
            report(writes.popleft())
    return records
