"""A small finished dataset (two chunks, accepted and rejected samples) for read-back tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.output.synthetic import REJECTED, encoded_chunk, write_dataset
from vtondata.output.shards import ChunkRecord


@pytest.fixture
def dataset(tmp_path: Path) -> tuple[Path, list[ChunkRecord]]:
    """``OUT`` with chunk 0 = inputs 0-4 and chunk 1 = inputs 5-7; inputs 2 and 7 rejected."""
    out = tmp_path / "out"
    chunks = [
        encoded_chunk(range(0, 5), chunk=0, rejected=REJECTED),
        encoded_chunk(range(5, 8), chunk=1, rejected=REJECTED),
    ]
    return out, write_dataset(out, chunks)
