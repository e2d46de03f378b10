"""Cut the sorted inputs into chunks: the unit of work, of output (one shard) and of resume.

Chunks are consecutive slices of the scan's sorted list, so the same inputs
and chunk size always give the same chunks, on any machine and any runner.
They are as even as the count allows, none larger than the chunk size: 200
inputs in chunks of at most 64 are four chunks of 50, not three of 64 and one
of 8. Workers take whole chunks, so a short last chunk would leave one
worker idle while another builds a full one.
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
    """The fewest chunks of at most ``chunk_size`` items, consecutive and even in size (the first
    ones one item longer when the count does not divide), for ``category``."""
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
    count = -(-len(items) // chunk_size)
    chunks, start = [], 0
    for number in range(count):
        size = len(items) // count + (number < len(items) % count)
        chunks.append(Chunk(index=number, items=tuple(items[start : start + size]), category=category))
        start += size
    return chunks
