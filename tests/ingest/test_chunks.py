"""plan_chunks and Chunk.samples: deterministic, even slices; samples carry scan verdicts and the category."""

from __future__ import annotations

import pytest

from vtondata.ingest.chunks import Chunk, plan_chunks
from vtondata.ingest.scan import InputItem, make_key
from vtondata.sample import Category, Rejection


def _items(count: int) -> list[InputItem]:
    return [
        InputItem(
            index=index,
            key=make_key(index, f"p{index}.jpg"),
            source_path=f"p{index}.jpg",
            source_abs=f"/raw/p{index}.jpg",
            sha256=f"{index:064x}",
            size_bytes=100 + index,
            rejection=Rejection("ingest.duplicate", "same bytes as p0.jpg") if index == 3 else None,
        )
        for index in range(count)
    ]


def test_consecutive_slices_as_even_as_the_count_allows():
    items = _items(7)
    chunks = plan_chunks(items, 3, Category.UPPER)
    assert [chunk.index for chunk in chunks] == [0, 1, 2]
    assert [[item.index for item in chunk.items] for chunk in chunks] == [[0, 1, 2], [3, 4], [5, 6]]
    assert plan_chunks(items, 3, Category.UPPER) == chunks


@pytest.mark.parametrize(
    ("count", "chunk_size", "sizes"),
    [
        (200, 64, [50] * 4),
        (1000, 64, [63] * 8 + [62] * 8),
        (128, 64, [64, 64]),
        (65, 64, [33, 32]),
        (5, 1, [1] * 5),
    ],
)
def test_fewest_chunks_within_the_size_and_every_input_once(count, chunk_size, sizes):
    items = _items(count)
    chunks = plan_chunks(items, chunk_size, Category.UPPER)
    assert [len(chunk.items) for chunk in chunks] == sizes
    assert [item for chunk in chunks for item in chunk.items] == items


def test_chunk_size_larger_than_the_inputs_gives_one_chunk():
    assert [len(chunk.items) for chunk in plan_chunks(_items(4), 64, Category.UPPER)] == [4]


def test_no_inputs_no_chunks():
    assert plan_chunks([], 8, Category.UPPER) == []


def test_chunk_size_below_one_is_refused():
    with pytest.raises(ValueError, match="chunk_size"):
        plan_chunks(_items(2), 0, Category.UPPER)


def test_samples_copy_the_item_fields_and_the_chunk_index():
    chunk = plan_chunks(_items(5), 2, Category.LOWER)[1]
    samples = chunk.samples()
    assert [sample.key for sample in samples] == ["0000002_p2", "0000003_p3"]
    first = samples[0]
    assert (first.index, first.source_path, first.source_abs) == (2, "p2.jpg", "/raw/p2.jpg")
    assert first.source_sha256 == f"{2:064x}"
    assert first.category is Category.LOWER
    assert first.chunk == 1
    assert first.accepted
    assert samples[1].rejection == Rejection("ingest.duplicate", "same bytes as p0.jpg")


def test_samples_are_fresh_each_call():
    chunk = Chunk(index=0, items=tuple(_items(1)), category=Category.UPPER)
    first = chunk.samples()
    first[0].reject("pose.no_person", "nobody")
    assert chunk.samples()[0].accepted
