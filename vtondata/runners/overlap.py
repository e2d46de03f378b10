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
same batch, so the output stays the same.

A model stage keeps its batches and one thread per model. When one model
stage does most of the work (the offline recipe's Holistic pass), its single
thread is what every wave waits for, and the cores idle whenever it is
between calls. ``copies`` gives such a stage more instances, each with its
own model and thread: wave ``n`` goes to instance ``n`` modulo their count,
so two waves are in the model at once. Each instance still sees whole
batches, and the models give each photo the same result whatever came
before it, so the output stays the same.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator, Iterable, Mapping, Sequence
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
    copies: Mapping[int, Sequence[Stage]] | None = None,
) -> Generator[tuple[Key, list[Sample]], None, None]:
    """Run every stage over each ``(key, samples)`` wave, stages on different waves at once; the waves
    come back in the order they were fed, each with its key, as soon as its last stage is done.

    At most ``depth`` waves are in flight: the next wave is fed only once the
    oldest has come back. ``copies`` maps a stage's position to further
    instances of it, set up by the caller, that take turns with it wave by
    wave (each in a thread of its own). An exception in a stage (beyond the per-sample
    failures that :func:`vtondata.runners.base.run_stage_batch` turns into rejections) reaches the
    caller with the wave it broke; waves not yet started are then dropped.
    """
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    if batch_threads < 1:
        raise ValueError(f"batch_threads must be at least 1, got {batch_threads}")
    with ExitStack() as stack:
        instances = [
            [
                (
                    instance,
                    stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix=f"vtondata-{stage.name}")),
                )
                for instance in (stage, *(copies or {}).get(position, ()))
            ]
            for position, stage in enumerate(stages)
        ]
        threads = [thread for turns in instances for _, thread in turns]
        batches = (
            stack.enter_context(ThreadPoolExecutor(batch_threads, thread_name_prefix="vtondata-batch"))
            if batch_threads > 1
            else None
        )
        # Shut down with cancel_futures before the context managers join the threads, so that an
        # error does not wait for the waves still queued behind it.
        stack.callback(lambda: [thread.shutdown(wait=False, cancel_futures=True) for thread in threads])
        in_flight: deque[tuple[Key, Future[list[Sample]]]] = deque()
        for number, (key, samples) in enumerate(waves):
            future: Future[list[Sample]] = Future()
            future.set_result(samples)
            for turns in instances:
                stage, thread = turns[number % len(turns)]
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
