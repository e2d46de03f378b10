"""The global sample order of training, and which part of it each process and worker builds.

The order depends only on the shards, the seed and the shuffle buffer size,
never on the number of processes or DataLoader workers: epoch ``e`` reads the
shards in a permutation seeded by ``(seed, e)`` through a shuffle buffer
seeded the same way, and numbers its samples on from where the previous
epoch stopped (``position``). Every ``world_size * batch_size`` consecutive
positions form one global micro-batch; process ``rank`` trains on its
``batch_size`` consecutive slice of each. One process with batch ``B`` and two
with ``B / 2`` each therefore see the same global batches.

Each reader (a process, or one of its DataLoader workers) walks the whole
order and keeps only its own micro-batches, so reading tar bytes is repeated
per reader while decoding (the costly part) is not; the buffer is per reader.
An epoch holds a known number of samples (the scan's count, less the
held-out and skipped keys), so starting at a position skips whole epochs
without reading them and reads, without decoding, at most one epoch up to
the start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

Sample = dict[str, Any]
ReadShards = Callable[[list[str]], Iterable[Sample]]
"""Opens the given tars in the given order and yields their raw samples (``__key__`` plus members)."""


@dataclass(frozen=True)
class GlobalOrder:
    """What fixes the order: shards, seed, buffer size, keys left out, and the samples per epoch."""

    urls: tuple[str, ...]
    seed: int
    shuffle_buffer: int
    exclude_keys: frozenset[str]
    epoch_samples: int
    """Samples of one epoch once ``exclude_keys`` are left out; checked as each epoch ends."""


def epoch_shards(urls: tuple[str, ...], seed: int, epoch: int) -> list[str]:
    """The shards of epoch ``epoch`` in the order they are read: a permutation seeded by ``(seed, epoch)``."""
    permutation = np.random.default_rng([seed, epoch]).permutation(len(urls))
    return [urls[index] for index in permutation]


def buffer_shuffle(items: Iterable[Sample], size: int, rng: np.random.Generator) -> Iterator[Sample]:
    """Stream shuffle: hold ``size`` items, emit a random one as each new item arrives, then drain."""
    buffer: list[Sample] = []
    for item in items:
        if len(buffer) < size:
            buffer.append(item)
            continue
        index = int(rng.integers(size))
        buffer[index], item = item, buffer[index]
        yield item
    while buffer:
        yield buffer.pop(int(rng.integers(len(buffer))))


def epoch_samples(order: GlobalOrder, epoch: int, read: ReadShards) -> Iterator[Sample]:
    """The raw samples of one epoch in training order."""
    kept = (
        sample
        for sample in read(epoch_shards(order.urls, order.seed, epoch))
        if sample["__key__"] not in order.exclude_keys
    )
    count = 0
    for sample in buffer_shuffle(kept, order.shuffle_buffer, np.random.default_rng([order.seed, epoch])):
        count += 1
        yield sample
    if count != order.epoch_samples:
        raise RuntimeError(
            f"epoch {epoch} held {count} training samples where the scan counted {order.epoch_samples}: "
            "the shards changed during training, or sample keys repeat across shards"
        )


def ordered_samples(order: GlobalOrder, start: int, read: ReadShards) -> Iterator[tuple[int, Sample]]:
    """``(position, raw sample)`` from position ``start`` on, forever."""
    if order.epoch_samples <= 0:
        raise ValueError("no training samples: every sample is held out for validation or skipped")
    epoch = start // order.epoch_samples
    position = epoch * order.epoch_samples
    while True:
        for sample in epoch_samples(order, epoch, read):
            if position >= start:
                yield position, sample
            position += 1
        epoch += 1


@dataclass(frozen=True)
class Share:
    """The micro-batches one reader builds: process ``rank`` of ``world_size``, DataLoader worker
    ``worker`` of ``num_workers`` (1 without workers), ``batch_size`` samples per process."""

    rank: int
    world_size: int
    batch_size: int
    worker: int = 0
    num_workers: int = 1

    @property
    def global_batch(self) -> int:
        return self.world_size * self.batch_size

    def owns(self, micro_batch: int, first: int) -> bool:
        """Whether this worker builds micro-batch ``micro_batch`` of a loader that starts at ``first``.

        A DataLoader takes batches from its workers round-robin starting with
        worker 0, so worker ``w`` serves micro-batches ``first + w``,
        ``first + w + num_workers``, and so on.
        """
        return micro_batch >= first and (micro_batch - first) % self.num_workers == self.worker

    def slot(self, position: int) -> tuple[int, int] | None:
        """``(micro_batch, index in this process's batch)`` of ``position``, or ``None`` for other ranks."""
        micro_batch, offset = divmod(position, self.global_batch)
        index = offset - self.rank * self.batch_size
        return (micro_batch, index) if 0 <= index < self.batch_size else None


def shared_samples(
    order: GlobalOrder, share: Share, first_micro_batch: int, read: ReadShards
) -> Iterator[tuple[int, int, Sample]]:
    """``(micro_batch, position, raw sample)`` of this reader's micro-batches, from ``first_micro_batch`` on.

    Samples come grouped by micro-batch, ``share.batch_size`` at a time, in
    position order.
    """
    start = (first_micro_batch + share.worker) * share.global_batch
    for position, sample in ordered_samples(order, start, read):
        slot = share.slot(position)
        if slot is not None and share.owns(slot[0], first_micro_batch):
            yield slot[0], position, sample
