"""The local runner's chunk step: waves through every stage, arrays dropped before the write."""

from __future__ import annotations

import numpy as np

from vtondata.ingest.chunks import Chunk, plan_chunks
from vtondata.ingest.scan import InputItem
from vtondata.output.shards import ChunkRecord
from vtondata.runners.base import run_stages
from vtondata.runners.local import build_chunk, wave_size
from vtondata.sample import Category, Sample
from vtondata.stages.base import Resources, Stage


class _Decode(Stage):
    """Gives each sample arrays, as ingest and segment do, and remembers every sample it decoded."""

    name = "decode"

    def __init__(self, batch_size: int) -> None:
        self.resources = Resources(batch_size=batch_size)
        self.batches: list[list[str]] = []
        self.decoded: list[Sample] = []

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        self.batches.append([sample.key for sample in samples])
        for sample in samples:
            sample.layers = {"person": np.ones((4, 3), dtype=bool)}
            sample.parse_map = np.zeros((4, 3), dtype=np.uint8)
        self.decoded.extend(samples)
        return samples


class _Encode(Stage):
    """Encodes a member, and counts the decoded samples that still hold arrays while it runs."""

    name = "encode"

    def __init__(self, batch_size: int, decode: _Decode) -> None:
        self.resources = Resources(batch_size=batch_size)
        self.decode = decode
        self.batches: list[list[str]] = []
        self.holding: list[int] = []

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        self.batches.append([sample.key for sample in samples])
        self.holding.append(sum(1 for sample in self.decode.decoded if sample.layers))
        for sample in samples:
            sample.files = {"meta.json": sample.key.encode()}
        return samples


def _chunk(count: int) -> Chunk:
    items = [
        InputItem(
            index=n,
            key=f"{n:06d}",
            source_path=f"p{n}.jpg",
            source_abs="",
            sha256=None,
            size_bytes=1,
            rejection=None,
        )
        for n in range(count)
    ]
    (chunk,) = plan_chunks(items, count, Category.UPPER)
    return chunk


def _decode_encode() -> tuple[_Decode, _Encode]:
    """A decoding stage (batches of 4) and an encoding stage (batches of 6) that watches it."""
    decode = _Decode(4)
    return decode, _Encode(6, decode)


def test_a_chunk_is_built_a_wave_at_a_time_with_the_batches_of_a_whole_chunk():
    whole_decode, whole_encode = _decode_encode()
    reference = run_stages([whole_decode, whole_encode], _chunk(30).samples())

    decode, encode = _decode_encode()
    assert wave_size([decode, encode]) == 12
    written: list[Sample] = []

    def write(index: int, samples: list[Sample]) -> ChunkRecord:
        written.extend(samples)
        return ChunkRecord(chunk=index, shard="", samples=len(samples), accepted=len(samples), rejected=0)

    build_chunk([decode, encode], _chunk(30), write)
    assert decode.batches == whole_decode.batches and encode.batches == whole_encode.batches
    assert max(encode.holding) <= 12 < max(whole_encode.holding), "one wave holds arrays at a time"
    assert all(sample.layers == {} and sample.parse_map is None for sample in written)
    assert [sample.key for sample in written] == [f"{n:06d}" for n in range(30)]
    assert [sample.files for sample in written] == [sample.files for sample in reference]


def test_the_wave_count_is_the_number_of_waves_cut():
    from vtondata.runners.local import chunk_waves, wave_count

    for count in (1, 7, 8, 9, 30):
        assert wave_count(_chunk(count), 8) == len(chunk_waves(_chunk(count), 8)) == -(-count // 8)
    empty = Chunk(index=0, items=(), category=Category.UPPER)
    assert wave_count(empty, 8) == len(chunk_waves(empty, 8)) == 1
