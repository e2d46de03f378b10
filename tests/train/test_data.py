"""The training data: decoding, garment fallback, captions, the global sample order, exact resumption."""

import json
from itertools import islice

import pytest
import torch

from tests.output.synthetic import encoded_chunk, write_dataset
from tests.train.tiny import HALF_WIDTH_PX, HEIGHT_PX, first_batch, tiny_recipe
from vtondata.train.data import TrainingBatches, held_out, scan_shards, shard_urls, training_loader

ALL_KEYS = {f"{index:06d}" for index in range(7)}


def _keys(batches):
    return [key for batch in batches for key in batch["keys"]]


def _batches(shards, recipe, count, *, held=frozenset(), **share):
    urls = shard_urls(shards)
    batches = TrainingBatches(urls, recipe, scan_shards(urls, recipe), held_keys=held, **share)
    return list(islice(training_loader(batches, recipe.data.num_workers), count))


def test_batches_hold_binary_single_channel_masks_and_signed_images(shards):
    recipe = tiny_recipe()
    batch = first_batch(shard_urls(shards), recipe)
    assert batch["image"].shape == (2, 3, HEIGHT_PX, 2 * HALF_WIDTH_PX)
    assert batch["mask"].shape == (2, 1, HEIGHT_PX, 2 * HALF_WIDTH_PX)
    assert set(batch["mask"].unique().tolist()) == {0.0, 1.0}
    assert batch["mask"][..., :HALF_WIDTH_PX].sum() == 0
    assert batch["image"].min() >= -1 and batch["image"].max() <= 1
    assert batch["prompts"] == [recipe.conditioning.prompt] * 2
    assert batch["positions"] == [0, 1]


def test_scan_counts_the_garment_fallback_and_skips(shards):
    urls = shard_urls(shards)
    assert len(urls) == 2
    assert scan_shards(urls, tiny_recipe()).by_source == {"person_crop": 7}
    skipping = tiny_recipe(**{"data.missing_cloth": "skip"})
    scan = scan_shards(urls, skipping)
    assert scan.by_source == {"data.no_cloth": 7} and scan.skipped == ALL_KEYS
    assert held_out(urls, skipping) == []
    with pytest.raises(ValueError, match="no training samples"):
        first_batch(urls, skipping)


def test_meta_caption_replaces_the_fixed_prompt(tmp_path):
    samples = encoded_chunk(range(0, 2))
    meta = json.loads(samples[0].files["meta.json"])
    samples[0].files["meta.json"] = json.dumps({**meta, "caption": "a red shirt"}).encode()
    write_dataset(tmp_path, [samples])
    recipe = tiny_recipe(**{"validation.num_samples": 0})
    assert scan_shards(shard_urls(tmp_path), recipe).prompts == {"a red shirt", recipe.conditioning.prompt}
    batch = first_batch(shard_urls(tmp_path), recipe)
    assert sorted(batch["prompts"]) == sorted(["a red shirt", recipe.conditioning.prompt])


def test_held_out_samples_never_reach_training(shards):
    recipe = tiny_recipe(**{"validation.num_samples": 2})
    held = {key for key, _, _ in held_out(shard_urls(shards), recipe)}
    assert held == {"000000", "000001"}
    seen = _keys(_batches(shards, recipe, 10, held=frozenset(held)))
    assert held.isdisjoint(seen) and len(set(seen)) == 5


def test_every_epoch_holds_each_sample_once_in_a_seeded_order(shards):
    recipe = tiny_recipe(**{"training.batch_size": 1})
    seen = _keys(_batches(shards, recipe, 21))
    epochs = [seen[index : index + 7] for index in range(0, 21, 7)]
    assert all(set(epoch) == ALL_KEYS for epoch in epochs)
    assert len({tuple(epoch) for epoch in epochs}) > 1, "each epoch is shuffled anew"
    orders = {tuple(_keys(_batches(shards, tiny_recipe(**{"training.seed": seed}), 3))) for seed in range(4)}
    assert len(orders) > 1


def _same_batches(first, second):
    assert _keys(first) == _keys(second)
    for a, b in zip(first, second, strict=True):
        assert a["positions"] == b["positions"]
        assert torch.equal(a["mask"], b["mask"]) and torch.equal(a["image"], b["image"])


def _merge(per_rank):
    """Micro-batch by micro-batch, ranks side by side: the global batches of a multi-process run."""
    return [
        {
            "keys": [key for batch in batches for key in batch["keys"]],
            "positions": [p for batch in batches for p in batch["positions"]],
            "image": torch.cat([batch["image"] for batch in batches]),
            "mask": torch.cat([batch["mask"] for batch in batches]),
        }
        for batches in zip(*per_rank, strict=True)
    ]


def test_two_processes_split_each_global_batch_of_one_process(shards):
    """Batch 4 in one process = batch 2 in each of two: same samples, same mask augmentation."""
    one = _batches(shards, tiny_recipe(**{"training.batch_size": 4}), 5)
    half = tiny_recipe(**{"training.batch_size": 2})
    ranks = [_batches(shards, half, 5, rank=rank, world_size=2) for rank in (0, 1)]
    _same_batches(one, _merge(ranks))
    assert set(_keys(ranks[0])[:2]).isdisjoint(_keys(ranks[1])[:2])


def test_workers_and_resumption_continue_the_same_order(shards):
    """1 or 2 DataLoader workers, from the start or resumed after 3 (then 9: past an epoch) micro-batches."""
    recipe = tiny_recipe(**{"training.batch_size": 1})
    full = _batches(shards, recipe, 12)
    for workers in (0, 2):
        with_workers = tiny_recipe(**{"training.batch_size": 1, "data.num_workers": workers})
        _same_batches(full, _batches(shards, with_workers, 12))
        for consumed in (3, 9):
            resumed = _batches(shards, with_workers, 12 - consumed, consumed_batches=consumed)
            _same_batches(full[consumed:], resumed)
