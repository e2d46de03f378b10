"""In-process runner: deterministic, single worker; for tests, notebooks and debugging.

Chunks run one after another; inside a chunk each stage sees the samples in
batches of its own ``resources.batch_size``. The output is byte-identical to
the Ray runner's for the same inputs and recipe.
"""

from __future__ import annotations

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
    """Run every stage over ``chunk``, write it, and hand the memory its samples held back to the
    operating system (:mod:`vtondata.runners.heap`); the chunk's record."""
    record = write_chunk(chunk.index, run_stages(stages, chunk.samples()))
    release_freed_memory()
    return record


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
