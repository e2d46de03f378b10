"""Ray Data runner: the stages stream over a local Ray or a cluster.

The only module that imports Ray. A build with no stage on a GPU runs its
whole stage chain in one pool of actors (``_ChainActor``), so a sample crosses
a process boundary once each way; with GPU stages, stages that load models
(``stateful``) become actor pools placed by :mod:`vtondata.runners.placement`,
so weights load once per worker, and the others run as tasks.
Samples travel as pickled objects in one column next to their chunk id; the
driver regroups finished samples by chunk and writes each chunk as soon as it
is complete, so memory holds a few chunks, never the dataset.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import ray
from ray.data import ActorPoolStrategy, DataContext, TaskPoolStrategy

from vtondata.ingest.chunks import Chunk
from vtondata.output.shards import ChunkRecord
from vtondata.runners.base import ChunkCallback, ChunkWriter, run_stage_batch
from vtondata.runners.local import run_stages
from vtondata.runners.placement import place_stages
from vtondata.sample import Sample
from vtondata.stages.base import Stage
from vtondata.storage import STORAGE_OPTIONS_ENV

logger = logging.getLogger(__name__)


def _as_batch(samples: list[Sample]) -> dict[str, np.ndarray]:
    column = np.empty(len(samples), dtype=object)
    column[:] = samples
    return {"chunk": np.array([s.chunk for s in samples], dtype=np.int64), "sample": column}


def _stage_task(batch: dict[str, np.ndarray], stage: Stage) -> dict[str, np.ndarray]:
    return _as_batch(run_stage_batch(stage, list(batch["sample"])))


class _StageActor:
    """Holds one stage with its models loaded; Ray calls it once per batch."""

    def __init__(self, stage: Stage, threads: int) -> None:
        _limit_threads(threads)
        self.stage = stage
        self.stage.setup()

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return _as_batch(run_stage_batch(self.stage, list(batch["sample"])))


class _ChainActor:
    """Holds every stage of a build with no GPU stage; a batch enters it once and leaves finished.

    On CPUs, moving samples (images and evidence layers, megabytes each)
    between stage processes costs more than the stages gain from running
    apart, so one process runs the whole chain, batching per stage as the
    local runner does, and the workers parallelise over batches.
    """

    def __init__(self, stages: Sequence[Stage], threads: int) -> None:
        _limit_threads(threads)
        self.stages = stages
        for stage in self.stages:
            stage.setup()

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return _as_batch(run_stages(self.stages, list(batch["sample"])))


def _limit_threads(threads: int) -> None:
    """Keep each actor's math libraries from spawning one thread per core each."""
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[variable] = str(threads)
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(threads)


class RayRunner:
    """Streams chunks through Ray Data; ``workers`` actors per model stage."""

    def __init__(self, workers: int | None = None, address: str | None = None, object_store_mb: int = 1024):
        self.workers = workers
        self.address = address
        self.object_store_mb = object_store_mb

    def run(
        self,
        stages: Sequence[Stage],
        chunks: Sequence[Chunk],
        write_chunk: ChunkWriter,
        on_chunk_done: ChunkCallback | None = None,
    ) -> list[ChunkRecord]:
        if not chunks:
            return []
        started_here = self._init_ray()
        try:
            return self._stream(stages, chunks, write_chunk, on_chunk_done)
        finally:
            if started_here:
                ray.shutdown()

    def _init_ray(self) -> bool:
        if ray.is_initialized():
            return False
        options: dict[str, Any] = {
            "include_dashboard": False,
            "logging_level": logging.WARNING,
            "log_to_driver": True,
            "configure_logging": True,
        }
        storage = os.environ.get(STORAGE_OPTIONS_ENV)
        if storage:
            # Workers on other nodes open the same object storage as the driver (vtondata.storage).
            options["runtime_env"] = {"env_vars": {STORAGE_OPTIONS_ENV: storage}}
        if self.address:
            options["address"] = self.address
        else:
            # "local": a Ray of our own, even when another one on this machine left its address file.
            options["address"] = "local"
            options["object_store_memory"] = self.object_store_mb * 1024 * 1024
        ray.init(**options)
        return True

    def _stream(
        self,
        stages: Sequence[Stage],
        chunks: Sequence[Chunk],
        write_chunk: ChunkWriter,
        on_chunk_done: ChunkCallback | None,
    ) -> list[ChunkRecord]:
        # Ray Data logs advice and notices at WARNING; the CLI's progress bar is the display.
        logging.getLogger("ray.data").setLevel(logging.ERROR)
        context = DataContext.get_current()
        context.enable_progress_bars = False
        context.enable_operator_progress_bars = False
        context.print_on_execution_start = False
        context.execution_options.preserve_order = True

        expected = {chunk.index: len(chunk.items) for chunk in chunks}
        rows = [{"chunk": chunk.index, "sample": s} for chunk in chunks for s in chunk.samples()]
        # Blocks of about one batch each: every worker finds work even when there are few chunks,
        # and the number of blocks in flight (hence memory) is set by the workers, not the inputs.
        smallest_batch = min((stage.resources.batch_size for stage in stages), default=1)
        dataset = ray.data.from_items(rows, override_num_blocks=max(1, -(-len(rows) // smallest_batch)))
        dataset = self._plan(dataset, stages)

        pending: dict[int, list[Sample]] = defaultdict(list)
        records: list[ChunkRecord] = []
        with warnings.catch_warnings():
            # Ray Data advises on concurrency when a small run has fewer blocks than workers;
            # the CLI's progress bar is the one display users read.
            warnings.filterwarnings("ignore", category=UserWarning, module=r"ray\.data\.")
            for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
                self._collect(
                    cast(dict[str, np.ndarray], batch), pending, expected, write_chunk, on_chunk_done, records
                )
        if pending:
            raise RuntimeError(f"Ray returned incomplete chunks: {sorted(pending)}")
        return records

    @staticmethod
    def _collect(
        batch: dict[str, np.ndarray],
        pending: dict[int, list[Sample]],
        expected: dict[int, int],
        write_chunk: ChunkWriter,
        on_chunk_done: ChunkCallback | None,
        records: list[ChunkRecord],
    ) -> None:
        """Buffer finished samples by chunk; write a chunk as soon as all its samples are back."""
        for sample in batch["sample"]:
            pending[sample.chunk].append(sample)
            if len(pending[sample.chunk]) == expected[sample.chunk]:
                done = sorted(pending.pop(sample.chunk), key=lambda s: s.index)
                record = write_chunk(sample.chunk, done)
                records.append(record)
                if on_chunk_done is not None:
                    on_chunk_done(record)

    def _plan(self, dataset: ray.data.Dataset, stages: Sequence[Stage]) -> ray.data.Dataset:
        cluster = ray.cluster_resources()
        if not any(stage.resources.num_gpus > 0 for stage in stages):
            cpus = max(1, int(cluster.get("CPU", 1)))
            workers = self.workers or cpus
            return dataset.map_batches(
                _ChainActor,
                fn_constructor_args=(list(stages), max(1, cpus // workers)),
                compute=ActorPoolStrategy(size=workers),
                batch_size=max(stage.resources.batch_size for stage in stages),
                batch_format="numpy",
                udf_modifying_row_count=False,
                num_cpus=cpus / (workers + 1),
            )
        placements = place_stages(
            [stage.resources for stage in stages],
            cpus=int(cluster.get("CPU", 1)),
            gpus=float(cluster.get("GPU", 0)),
            workers=self.workers,
        )
        cpus = max(1, int(cluster.get("CPU", 1)))
        for stage, placement in zip(stages, placements, strict=True):
            resources = stage.resources
            if placement.actors:
                dataset = dataset.map_batches(
                    _StageActor,
                    fn_constructor_args=(stage, placement.threads),
                    compute=ActorPoolStrategy(size=placement.actors),
                    batch_size=resources.batch_size,
                    batch_format="numpy",
                    udf_modifying_row_count=False,
                    num_cpus=placement.num_cpus,
                    num_gpus=placement.num_gpus or None,
                )
            else:
                dataset = dataset.map_batches(
                    _stage_task,  # pyright: ignore[reportArgumentType]  # Ray types fn as taking any batch
                    fn_args=(stage,),
                    batch_size=resources.batch_size,
                    batch_format="numpy",
                    udf_modifying_row_count=False,
                    num_cpus=placement.num_cpus,
                    # At most one task process per core: each imports the stage's libraries,
                    # so unbounded fractional-CPU tasks would multiply memory, not speed.
                    compute=TaskPoolStrategy(size=cpus),
                )
        return dataset
