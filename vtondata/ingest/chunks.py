"""Cut the sorted inputs into chunks: the unit of work, of output (one shard) and of resume.

Chunks are consecutive slices of the scan's sorted list, so the same inputs
and chunk size always give the same chunks, on any machine and any runner.
"""

from __future__ import annotations

from dataclasses import dataclass

from vtondata.ingest.scan import InputItem
from vtondata.sample import BuildCategory, Sample


@dataclass(frozen=True)
class Chunk:
    """Inputs ``items`` (in sorted order) that become shard number ``index``, for garment ``category``.

    A chunk carries everything its samples need, so a runner only runs stages on it.
    """

    index: int
    items: tuple[InputItem, ...]
    category: BuildCategory

    def samples(self) -> list[Sample]:
        """Fresh samples for this chunk; scan-time rejections are carried over as they are."""
        return [
            Sample(
                key=item.key,
                index=item.index,
                source_path=item.source_path,
                category=self.category,
                chunk=self.index,
                source_abs=item.source_abs,
                source_sha256=item.sha256,
                rejection=item.rejection,
                cloth_abs=item.cloth_abs,
                cloth_sha256=item.cloth_sha256,
                stats=dict(item.stats),
            )
            for item in self.items
        ]


def plan_chunks(items: list[InputItem], chunk_size: int, category: BuildCategory) -> list[Chunk]:
    """Consecutive slices of ``chunk_size`` items (the last one may be shorter), for ``category``."""
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
    return [
        Chunk(index=number, items=tuple(items[start : start + chunk_size]), category=category)
        for number, start in enumerate(range(0, len(items), chunk_size))
    ]
