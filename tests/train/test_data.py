"""The webdataset pipeline: decoding, garment fallback, captions, worker splitting, exact resumption."""

import json
from itertools import islice

import torch

from tests.output.synthetic import encoded_chunk, write_dataset
from tests.train.tiny import HALF_WIDTH_PX, HEIGHT_PX, tiny_recipe
from vtondata.train.data import held_out, scan_shards, shard_urls, training_loader, training_pipeline


def _keys(batches):
    return [key for batch in batches for key in batch["keys"]]


def test_batches_hold_binary_single_channel_masks_and_signed_images(shards):
    recipe = tiny_recipe()
    batch = next(iter(training_pipeline(shard_urls(shards), recipe)))
    assert batch["image"].shape == (2, 3, HEIGHT_PX, 2 * HALF_WIDTH_PX)
    assert batch["mask"].shape == (2, 1, HEIGHT_PX, 2 * HALF_WIDTH_PX)
    assert set(batch["mask"].unique().tolist()) == {0.0, 1.0}
    assert batch["mask"][..., :HALF_WIDTH_PX].sum() == 0
    assert batch["image"].min() >= -1 and batch["image"].max() <= 1
    assert batch["prompts"] == [recipe.conditioning.prompt] * 2


def test_scan_counts_the_garment_fallback_and_skips(shards):
    urls = shard_urls(shards)
    assert len(urls) == 2
    assert scan_shards(urls, tiny_recipe()).by_source == {"person_crop": 7}
    skipping = tiny_recipe(**{"data.missing_cloth": "skip"})
    assert scan_shards(urls, skipping).by_source == {"data.no_cloth": 7}
    assert held_out(urls, skipping) == []


def test_meta_caption_replaces_the_fixed_prompt(tmp_path):
    samples = encoded_chunk(range(0, 2))
    meta = json.loads(samples[0].files["meta.json"])
    samples[0].files["meta.json"] = json.dumps({**meta, "caption": "a red shirt"}).encode()
    write_dataset(tmp_path, [samples])
    recipe = tiny_recipe(**{"validation.num_samples": 0})
    assert scan_shards(shard_urls(tmp_path), recipe).prompts == {"a red shirt", recipe.conditioning.prompt}
    batch = next(iter(training_pipeline(shard_urls(tmp_path), recipe)))
    assert sorted(batch["prompts"]) == sorted(["a red shirt", recipe.conditioning.prompt])


def test_held_out_samples_never_reach_training(shards):
    recipe = tiny_recipe(**{"validation.num_samples": 2})
    urls = shard_urls(shards)
    held = {key for key, _, _ in held_out(urls, recipe)}
    assert held == {"000000", "000001"}
    seen = _keys(islice(training_pipeline(urls, recipe, exclude_keys=frozenset(held)), 20))
    assert held.isdisjoint(seen) and len(set(seen)) == 5


def test_two_workers_split_the_shards_without_duplicates(shards):
    recipe = tiny_recipe(**{"data.resample": False, "data.num_workers": 2, "training.batch_size": 1})
    seen = _keys(islice(training_loader(shard_urls(shards), recipe), 8))
    assert len(set(seen[:6])) == 6, "one epoch: each worker reads its own shard"
    assert set(seen) == {f"{index:06d}" for index in range(7)}


def test_shuffling_changes_the_order_with_the_seed(shards):
    urls = shard_urls(shards)
    orders = {
        tuple(_keys(islice(training_pipeline(urls, tiny_recipe(**{"training.seed": seed})), 6)))
        for seed in range(4)
    }
    assert len(orders) > 1


def test_resuming_after_n_batches_gives_the_same_following_batches(shards):
    for workers in (0, 2):
        recipe = tiny_recipe(**{"data.num_workers": workers})
        urls = shard_urls(shards)
        full = list(islice(training_loader(urls, recipe), 7))
        resumed = list(islice(training_loader(urls, recipe, consumed_batches=3), 4))
        assert _keys(full[3:]) == _keys(resumed)
        for a, b in zip(full[3:], resumed, strict=True):
            assert torch.equal(a["mask"], b["mask"]) and torch.equal(a["image"], b["image"])
