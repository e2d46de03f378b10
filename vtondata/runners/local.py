"""In-process runner: deterministic, single worker; for tests, notebooks and debugging.

Chunks run one after another; inside a chunk the samples go through every
stage a wave at a time (:func:`build_chunk`), each stage seeing them in
batches of its own ``resources.batch_size``. The output is byte-identical to
the Ray runner's for the same inputs and recipe.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from vtondata.ingest.chunks import Chunk
from vtondata.output.shards import ChunkRecord
from vtondata.runners.base import ChunkCallback, ChunkWriter, run_stage_batch
from vtondata.runners.heap import release_freed_memory
from vtondata.sample import Sample
from vtondata.stages.base import Stage


def run_stages(stages: Sequence[Stage], samples: list[Sample]) -> list[Sample]:
    """Run every stage over ``samples`` in order, batching per stage."""
    for stage in stages:
        size = stage.resources.batch_size
        processed: list[Sample] = []
        for start in range(0, len(samples), size):
            processed.extend(run_stage_batch(stage, samples[start : start + size]))
        samples = processed
    return samples


def build_chunk(stages: Sequence[Stage], chunk: Chunk, write_chunk: ChunkWriter) -> ChunkRecord:
    """Run every stage over ``chunk`` a wave of samples at a time, write it, and hand the memory its
    samples held back to the operating system (:mod:`vtondata.runners.heap`); the chunk's record.

    A wave (:func:`wave_size` samples) goes through every stage, then drops its
    arrays (:meth:`Sample.drop_arrays`) and keeps only what the shard and the
    index need, so a worker's memory follows the wave and not the chunk. Each
    stage still sees the same batches as over the whole chunk, and every
    sample is processed on its own, so the shard is the same either way.
    """
    samples = chunk.samples()
    size = wave_size(stages)
    built: list[Sample] = []
    for start in range(0, len(samples), size):
        for sample in run_stages(stages, samples[start : start + size]):
            sample.drop_arrays()
            built.append(sample)
    record = write_chunk(chunk.index, built)
    release_freed_memory()
    return record


def wave_size(stages: Sequence[Stage]) -> int:
    """The smallest count every stage's batch size divides, so waves cut no batch short."""
    return math.lcm(*(stage.resources.batch_size for stage in stages)) if stages else 1


class LocalRunner:
    """Runs stages in this process; ``setup`` once before the first chunk."""

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
        for stage in stages:
            stage.setup()
        records = []
        try:
            for chunk in chunks:
                record = build_chunk(stages, chunk, write_chunk)
                records.append(record)
                if on_chunk_done is not None:
                    on_chunk_done(record)
        finally:
            for stage in stages:
                stage.teardown()
        return records
