"""The report's only way into a built dataset: every read of ``OUT/`` by the report goes through here.

It reads with the public functions of :mod:`vtondata.output.reader` only, so
a change in how a dataset is stored or read touches the report in this one
place. (Writing ``report.json`` and ``report.html`` goes through
:mod:`vtondata.output.layout`, as every writer's does.)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from vtondata.output import reader
from vtondata.output.reader import Dataset

__all__ = ["Dataset", "iter_members", "open_dataset"]


def open_dataset(out: Path) -> Dataset:
    """The dataset in ``out`` (manifest and index), schema version checked."""
    return reader.open(out)


def iter_members(dataset: Dataset, keys: Iterable[str]) -> Iterator[tuple[str, dict[str, bytes]]]:
    """``(key, {extension: bytes})`` of the accepted samples ``keys``, reading each shard once."""
    shards = dict(zip(dataset.keys, dataset.table.column("shard").to_pylist(), strict=True))
    by_shard: dict[str, list[str]] = {}
    for key in keys:
        by_shard.setdefault(shards[key], []).append(key)
    for shard, members in by_shard.items():
        files = reader.read_members(dataset.out / shard, members)
        for key in members:
            yield key, files[key]
