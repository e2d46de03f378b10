"""Stages of one process working on different waves at once: each stage in a thread of its own.

In one process the stages would otherwise take turns: while the pose model
runs, the mask, quality and encode stages of the previous wave wait, and a
second core sits idle. Model inference (MediaPipe, PyTorch) and most array
work (OpenCV, NumPy, PNG encoding) release the GIL, so a stage thread per
stage lets the model run on one core while the cheaper stages finish earlier
waves on another.

Each stage has one thread and takes the waves in the order they were fed, so
it sees exactly the batches and the order it sees in sequence: the output is
byte-identical. At most ``depth`` waves are in flight, which bounds memory
to a few waves' arrays whatever the input count.

On a machine with many cores one thread per stage leaves most of them idle
while a GPU waits for the CPU stages. With ``batch_threads`` above one, the
batches of a wave in a stage without a model (``Resources.stateful`` false:
ingest, quality, mask, encode) run at once on a pool of that many threads
shared by those stages. Every sample is still processed on its own, in the
same batch, so the output stays the same; model stages keep their one thread
and their batches.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from typing import TypeVar

from vtondata.runners.base import run_stage_batch, run_stages
from vtondata.sample import Sample
from vtondata.stages.base import Stage

Key = TypeVar("Key")


def overlap_stages(
    stages: Sequence[Stage],
    waves: Iterable[tuple[Key, list[Sample]]],
    depth: int,
    batch_threads: int = 1,
) -> Generator[tuple[Key, list[Sample]], None, None]:
    """Run every stage over each ``(key, samples)`` wave, stages on different waves at once; the waves
    come back in the order they were fed, each with its key, as soon as its last stage is done.

    At most ``depth`` waves are in flight: the next wave is fed only once the
    oldest has come back. An exception in a stage (beyond the per-sample
    failures that :func:`vtondata.runners.base.run_stage_batch` turns into rejections) reaches the
    caller with the wave it broke; waves not yet started are then dropped.
    """
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    if batch_threads < 1:
        raise ValueError(f"batch_threads must be at least 1, got {batch_threads}")
    with ExitStack() as stack:
        threads = [
            stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix=f"vtondata-{stage.name}"))
            for stage in stages
        ]
        batches = (
            stack.enter_context(ThreadPoolExecutor(batch_threads, thread_name_prefix="vtondata-batch"))
            if batch_threads > 1
            else None
        )
        # Shut down with cancel_futures before the context managers join the threads, so that an
        # error does not wait for the waves still queued behind it.
        stack.callback(lambda: [thread.shutdown(wait=False, cancel_futures=True) for thread in threads])
        in_flight: deque[tuple[Key, Future[list[Sample]]]] = deque()
        for key, samples in waves:
            future: Future[list[Sample]] = Future()
            future.set_result(samples)
            for stage, thread in zip(stages, threads, strict=True):
                pool = None if stage.resources.stateful else batches
                future = thread.submit(_after, future, stage, pool)
            in_flight.append((key, future))
            if len(in_flight) >= depth:
                oldest, done = in_flight.popleft()
                yield oldest, done.result()
        while in_flight:
            oldest, done = in_flight.popleft()
            yield oldest, done.result()


def _after(previous: Future[list[Sample]], stage: Stage, pool: ThreadPoolExecutor | None) -> list[Sample]:
    """``stage`` over the wave ``previous`` yields, in batches of the stage's size; on ``pool``'s
    threads at once when given."""
    samples = previous.result()
    if pool is None:
        return run_stages([stage], samples)
    size = stage.resources.batch_size
    cut = [samples[start : start + size] for start in range(0, len(samples), size)]
    return [sample for batch in pool.map(run_stage_batch, [stage] * len(cut), cut) for sample in batch]
