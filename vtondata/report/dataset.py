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
from vtondata.output.format import category_view
from vtondata.output.reader import Dataset
from vtondata.sample import ALL_CATEGORIES

__all__ = ["Dataset", "iter_members", "open_dataset", "shown_categories"]


def open_dataset(out: Path) -> Dataset:
    """The dataset in ``out`` (manifest and index), schema version checked."""
    return reader.open(out)


def shown_categories(dataset: Dataset) -> dict[str, str]:
    """Key -> the category whose mask the report shows: the dataset's, or in an all-category build
    the first one (upper, lower, dress) the sample was accepted for."""
    built: str = dataset.manifest["category"]
    if built != ALL_CATEGORIES:
        return dict.fromkeys(dataset.keys, built)
    verdicts = {
        category: dataset.table.column(f"accepted_{category}").to_pylist() for category in dataset.categories
    }
    shown = {}
    for position, key in enumerate(dataset.keys):
        accepted = [category for category, column in verdicts.items() if column[position]]
        if accepted:
            shown[key] = accepted[0]
    return shown


def iter_members(dataset: Dataset, keys: Iterable[str]) -> Iterator[tuple[str, dict[str, bytes]]]:
    """``(key, {extension: bytes})`` of the accepted samples ``keys``, reading each shard once; an
    all-category sample's members as those of its :func:`shown_categories` category."""
    shards = dict(zip(dataset.keys, dataset.table.column("shard").to_pylist(), strict=True))
    shown = shown_categories(dataset)
    by_shard: dict[str, list[str]] = {}
    for key in keys:
        by_shard.setdefault(shards[key], []).append(key)
    for shard, members in by_shard.items():
        files = reader.read_members(dataset.out / shard, members)
        for key in members:
            view = category_view(files[key], shown[key])
            if view is not None:
                yield key, view
