"""What every runner is and shares: the :class:`Runner` protocol and per-sample failure isolation.

A runner takes stages and planned chunks and hands each finished chunk to a
writer; how it schedules them (in process, on Ray) is its own business, and
so is where the writer runs: the Ray runner writes each chunk in the worker
that built it. Writers are picklable for that reason.

A batch that raises is re-run one sample at a time, so a single bad image
costs one rejected row (``<stage>.error`` plus the exception text), never the
batch or the run. Stage time is split evenly over the batch's samples.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from vtondata.ingest.chunks import Chunk
from vtondata.output.shards import ChunkRecord
from vtondata.sample import Sample
from vtondata.stages.base import Stage

logger = logging.getLogger(__name__)

ChunkWriter = Callable[[int, list[Sample]], ChunkRecord]
"""Writes chunk ``index``'s processed samples (shard, index, marker) and returns its record."""
ChunkCallback = Callable[[ChunkRecord], None]


class Runner(Protocol):
    """Runs ``stages`` over ``chunks`` and writes each chunk as soon as all its samples are done."""

    def run(
        self,
        stages: Sequence[Stage],
        chunks: Sequence[Chunk],
        write_chunk: ChunkWriter,
        on_chunk_done: ChunkCallback | None = None,
    ) -> list[ChunkRecord]:
        """Records of the chunks written, in writing order; the runner sets stages up and tears them down."""
        ...

    def map(self, function: Callable[[Any], Any], values: Sequence[Any]) -> list[Any]:
        """``function`` applied to every value, results in order, wherever the runner runs work
        (the scan reads and hashes inputs through it)."""
        ...

    def close(self) -> None:
        """Release what the runner started (a Ray of its own)."""
        ...


def run_stages(stages: Sequence[Stage], samples: list[Sample]) -> list[Sample]:
    """Run every stage over ``samples`` in order, batching per stage."""
    for stage in stages:
        size = stage.resources.batch_size
        processed: list[Sample] = []
        for start in range(0, len(samples), size):
            processed.extend(run_stage_batch(stage, samples[start : start + size]))
        samples = processed
    return samples


def run_stage_batch(stage: Stage, samples: list[Sample]) -> list[Sample]:
    """Run ``stage`` on ``samples``; never raises for a per-sample failure."""
    if not samples:
        return samples
    started = time.perf_counter()
    try:
        result = stage.process_batch(samples)
    except Exception:
        logger.debug("stage %s failed on a batch; retrying one by one", stage.name, exc_info=True)
        result = [_run_one(stage, sample) for sample in samples]
    _check_contract(stage, samples, result)
    elapsed = (time.perf_counter() - started) / len(result)
    for sample in result:
        sample.timings_s[stage.name] = sample.timings_s.get(stage.name, 0.0) + elapsed
    return result


def _run_one(stage: Stage, sample: Sample) -> Sample:
    try:
        return stage.process_batch([sample])[0]
    except Exception as error:
        sample.reject(f"{stage.name}.error", f"{type(error).__name__}: {error}")
        return sample


def _check_contract(stage: Stage, before: list[Sample], after: list[Sample]) -> None:
    if [s.key for s in before] != [s.key for s in after]:
        raise RuntimeError(f"stage {stage.name} changed the number or order of samples")
