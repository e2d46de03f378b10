"""Ray Data runner: the stages stream over a local Ray or a cluster.

The only module that imports Ray. The unit of work is the chunk: a chunk's
samples are built, and its shard, index and completion marker written, by
workers, so images never travel to the driver; the driver sends chunks (paths
and content hashes) and receives only their :class:`ChunkRecord` summaries. A
build with no stage on a GPU runs its whole stage chain and the chunk's
writing in one pool of actors (``_ChainActor``); with GPU stages, stages that
load models (``stateful``) become actor pools placed by
:mod:`vtondata.runners.placement`, so weights load once per worker, the others
run as tasks, and a last task writes the chunk. :meth:`RayRunner.map` runs the
scan's per-input work (reading and hashing each input) as Ray tasks.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np
import ray
from ray.data import ActorPoolStrategy, DataContext, TaskPoolStrategy

from vtondata.ingest.chunks import Chunk
from vtondata.output.shards import ChunkRecord
from vtondata.runners.base import ChunkCallback, ChunkWriter, run_stages
from vtondata.runners.heap import release_freed_memory
from vtondata.runners.local import build_chunk
from vtondata.runners.placement import place_stages
from vtondata.stages.base import Stage
from vtondata.storage import STORAGE_OPTIONS_ENV

logger = logging.getLogger(__name__)

MAP_BATCH_MAX = 256
"""Most inputs one :meth:`RayRunner.map` task handles: enough to cover a task's overhead."""


def _objects(values: Sequence[Any]) -> np.ndarray:
    """A 1-D object column holding ``values`` as they are (lists stay lists, not a 2-D array)."""
    column = np.empty(len(values), dtype=object)
    for position, value in enumerate(values):
        column[position] = value
    return column


def _chunk_samples(batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Chunks in, their fresh samples out (one row per chunk, with the chunk's number)."""
    chunks = list(batch["chunk"])
    return {
        "index": np.array([chunk.index for chunk in chunks], dtype=np.int64),
        "samples": _objects([chunk.samples() for chunk in chunks]),
    }


def _stage_task(batch: dict[str, np.ndarray], stage: Stage, last: bool = False) -> dict[str, np.ndarray]:
    """One stage over each chunk of ``batch``. After the ``last`` stage the samples drop their arrays
    (:meth:`Sample.drop_arrays`), so the chunk crosses to the writer as encoded members only."""
    processed = [run_stages([stage], list(samples)) for samples in batch["samples"]]
    if last:
        for sample in (sample for samples in processed for sample in samples):
            sample.drop_arrays()
    return {"index": batch["index"], "samples": _objects(processed)}


def _write_task(batch: dict[str, np.ndarray], write_chunk: ChunkWriter) -> dict[str, np.ndarray]:
    """Write each chunk where it was built; only its record goes back."""
    pairs = zip(batch["index"], batch["samples"], strict=True)
    records = [write_chunk(int(index), list(samples)) for index, samples in pairs]
    release_freed_memory()
    return {"record": _objects(records)}


def _apply_all(function: Callable[[Any], Any], values: Sequence[Any]) -> list[Any]:
    return [function(value) for value in values]


class _StageActor:
    """Holds one stage with its models loaded; Ray calls it once per chunk."""

    def __init__(self, stage: Stage, threads: int, last: bool = False) -> None:
        _limit_threads(threads)
        self.stage = stage
        self.last = last
        self.stage.setup()

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return _stage_task(batch, self.stage, self.last)


class _ChainActor:
    """Holds every stage of a build with no GPU stage; a chunk enters it and leaves written.

    On CPUs, moving samples (images and evidence layers, megabytes each)
    between processes costs more than the stages gain from running apart, so
    one process runs the whole chain, batching per stage as the local runner
    does, writes the chunk, and the workers parallelise over chunks.
    """

    def __init__(self, stages: Sequence[Stage], write_chunk: ChunkWriter, threads: int) -> None:
        _limit_threads(threads)
        self.stages = stages
        self.write_chunk = write_chunk
        for stage in self.stages:
            stage.setup()

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {
            "record": _objects(
                [build_chunk(self.stages, chunk, self.write_chunk) for chunk in batch["chunk"]]
            )
        }


def _limit_threads(threads: int) -> None:
    """Keep each actor's math libraries from spawning one thread per core each.

    torch reads ``OMP_NUM_THREADS`` when it is first imported (by a stage's
    setup, after this); an actor whose stages run no torch model never imports
    it, which spares it about 480 MB.
    """
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[variable] = str(threads)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)


class RayRunner:
    """Streams chunks through Ray Data; ``workers`` actors per model stage.

    Ray starts on first use (:meth:`map` or :meth:`run`) and stays up until
    :meth:`close`, so a build's scan and its stages share one Ray.
    """

    def __init__(self, workers: int | None = None, address: str | None = None, object_store_mb: int = 1024):
        self.workers = workers
        self.address = address
        self.object_store_mb = object_store_mb
        self._started_here = False

    def map(self, function: Callable[[Any], Any], values: Sequence[Any]) -> list[Any]:
        """``function`` over ``values`` as Ray tasks (a few per CPU of the cluster); results in order."""
        if not values:
            return []
        self._init_ray()
        cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        size = max(1, min(MAP_BATCH_MAX, -(-len(values) // (4 * cpus))))
        apply = ray.remote(num_cpus=1)(_apply_all)
        pending = [
            apply.remote(function, values[start : start + size]) for start in range(0, len(values), size)
        ]
        return [result for batch in ray.get(pending) for result in batch]

    def run(
        self,
        stages: Sequence[Stage],
        chunks: Sequence[Chunk],
        write_chunk: ChunkWriter,
        on_chunk_done: ChunkCallback | None = None,
    ) -> list[ChunkRecord]:
        if not chunks:
            return []
        self._init_ray()
        return self._stream(stages, chunks, write_chunk, on_chunk_done)

    def close(self) -> None:
        """Shut down the Ray this runner started (a Ray that was already up is left running)."""
        if self._started_here:
            ray.shutdown()
            self._started_here = False

    def _init_ray(self) -> None:
        if ray.is_initialized():
            return
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
        self._started_here = True

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
        # Chunks are independent and each is written whole by one worker: their order does not matter.
        context.execution_options.preserve_order = False

        # One block per chunk, so that every worker finds work when there are few chunks.
        dataset = ray.data.from_items([{"chunk": chunk} for chunk in chunks], override_num_blocks=len(chunks))
        dataset = self._plan(dataset, stages, write_chunk)
        records: list[ChunkRecord] = []
        with warnings.catch_warnings():
            # Ray Data advises on concurrency when a small run has fewer blocks than workers;
            # the CLI's progress bar is the one display users read.
            warnings.filterwarnings("ignore", category=UserWarning, module=r"ray\.data\.")
            for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
                for record in cast(dict[str, np.ndarray], batch)["record"]:
                    records.append(record)
                    if on_chunk_done is not None:
                        on_chunk_done(record)
        if len(records) != len(chunks):
            raise RuntimeError(f"Ray returned {len(records)} of {len(chunks)} chunks")
        return records

    def _plan(
        self, dataset: ray.data.Dataset, stages: Sequence[Stage], write_chunk: ChunkWriter
    ) -> ray.data.Dataset:
        cluster = ray.cluster_resources()
        cpus = max(1, int(cluster.get("CPU", 1)))
        if not any(stage.resources.num_gpus > 0 for stage in stages):
            workers = self.workers or cpus
            return dataset.map_batches(
                _ChainActor,
                fn_constructor_args=(list(stages), write_chunk, max(1, cpus // workers)),
                # One chunk at a time per actor: with Ray Data's default of four in flight, the first
                # actor to start could take every chunk of a small build while the others sat idle.
                compute=ActorPoolStrategy(size=workers, max_tasks_in_flight_per_actor=1),
                batch_size=1,
                batch_format="numpy",
                udf_modifying_row_count=False,
                num_cpus=cpus / (workers + 1),
            )
        placements = place_stages(
            [stage.resources for stage in stages],
            cpus=cpus,
            gpus=float(cluster.get("GPU", 0)),
            workers=self.workers,
        )
        # At most one task process per core: each imports the stage's libraries,
        # so unbounded fractional-CPU tasks would multiply memory, not speed.
        tasks = TaskPoolStrategy(size=cpus)
        dataset = dataset.map_batches(
            _chunk_samples,  # pyright: ignore[reportArgumentType]  # Ray types fn as taking any batch
            batch_size=1,
            batch_format="numpy",
            num_cpus=0.1,
            compute=tasks,
        )
        for position, (stage, placement) in enumerate(zip(stages, placements, strict=True)):
            last = position == len(stages) - 1
            if placement.actors:
                dataset = dataset.map_batches(
                    _StageActor,
                    fn_constructor_args=(stage, placement.threads, last),
                    compute=ActorPoolStrategy(size=placement.actors),
                    batch_size=1,
                    batch_format="numpy",
                    udf_modifying_row_count=False,
                    num_cpus=placement.num_cpus,
                    num_gpus=placement.num_gpus or None,
                )
            else:
                dataset = dataset.map_batches(
                    _stage_task,  # pyright: ignore[reportArgumentType]  # Ray types fn as taking any batch
                    fn_args=(stage, last),
                    batch_size=1,
                    batch_format="numpy",
                    udf_modifying_row_count=False,
                    num_cpus=placement.num_cpus,
                    compute=tasks,
                )
        return dataset.map_batches(
            _write_task,  # pyright: ignore[reportArgumentType]
            fn_args=(write_chunk,),
            batch_size=1,
            batch_format="numpy",
            num_cpus=0.1,
            compute=tasks,
        )
