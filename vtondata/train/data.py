"""Shards -> batches of canvases: the webdataset pipeline of the Flux Fill trainer.

Every process, and every DataLoader worker of it, walks the same global
sample order (:mod:`vtondata.train.order`: seeded shard permutations and a
seeded shuffle buffer, held-out and skipped keys left out) and decodes only
its own micro-batches into canvases (masks decoded by hand so they stay
single-channel), with mask augmentation seeded by the sample's position in
that order (:mod:`vtondata.train.randomness`). The batches are thus the same
whatever the number of processes and workers, and a run resumed after ``n``
micro-batches sees exactly the batches an uninterrupted run would.

Tars are read in whichever process or worker asks, for the one-off passes
(:func:`scan_shards`, :func:`held_out`) as for training, straight through
:mod:`vtondata.output.reader` with no node or worker splitting.

Samples without ``cloth.jpg`` (today's builder pairs no garment photos) use
``data.missing_cloth``: ``person_crop`` cuts the worn garment out of
``person.jpg`` with ``garment_mask.png``; samples with neither garment photo
nor a non-empty garment mask are skipped and counted as ``data.no_cloth``.
"""

from __future__ import annotations

import functools
import json
import logging
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from vtondata.errors import InputError
from vtondata.output.format import category_view, decode_grey, decode_rgb
from vtondata.output.reader import chosen_category, is_dataset, read_manifest, shard_paths, webdataset_stream
from vtondata.train.canvas import (
    Canvas,
    augment_mask,
    compose,
    fit,
    garment_from_person,
    to_binary,
    to_signed,
)
from vtondata.train.config import TrainRecipe
from vtondata.train.order import GlobalOrder, Share, shared_samples
from vtondata.train.randomness import sample_generator

logger = logging.getLogger(__name__)

Batch = dict[str, Any]
"""``keys``, ``prompts``: B strings; ``positions``: B places in the global sample order;
``image``: (B, 3, H, 2W) in [-1, 1]; ``mask``: (B, 1, H, 2W), 0 or 1."""


def shard_urls(shards: Path, category: str | None = None) -> list[str]:
    """Tar paths of a dataset: ``OUT`` (its manifest's shards), a folder of ``*.tar``, or one tar.

    For ``OUT``, ``category`` (``data.category``) is checked against what it was built for: an
    all-category dataset needs one, a single-category dataset accepts only its own.
    """
    if shards.is_file():
        return [str(shards)]
    if is_dataset(shards):
        chosen_category(shards, read_manifest(shards)["category"], category)
        urls = [str(path) for path in shard_paths(shards, non_empty=True)]
    else:
        urls = sorted(str(path) for path in shards.rglob("*.tar"))
    if not urls:
        raise InputError(f"no shards under {shards} (expected OUT/manifest.json or *.tar files)")
    return urls


def sample_prompt(sample: Mapping[str, Any], recipe: TrainRecipe) -> str:
    """meta.json's ``caption`` when captions are on and it is a non-empty string, else the fixed prompt."""
    if recipe.conditioning.use_captions and "meta.json" in sample:
        caption = json.loads(sample["meta.json"]).get("caption")
        if isinstance(caption, str) and caption.strip():
            return caption.strip()
    return recipe.conditioning.prompt


def garment_half(sample: Mapping[str, Any], person: torch.Tensor, recipe: TrainRecipe) -> torch.Tensor | None:
    """The garment image (3, h, w) in [-1, 1] before fitting, or ``None`` when the sample has none.

    ``cloth.jpg`` wins; its ``cloth_mask.png`` (255 = garment), when present,
    whitens the background. Otherwise see the module docstring.
    """
    if "cloth.jpg" in sample:
        cloth = to_signed(decode_rgb(sample["cloth.jpg"]))
        if "cloth_mask.png" in sample:
            cloth_mask = to_binary(decode_grey(sample["cloth_mask.png"]))
            cloth = torch.where(cloth_mask.bool(), cloth, torch.ones_like(cloth))
        return cloth
    if recipe.data.missing_cloth == "person_crop" and "garment_mask.png" in sample:
        return garment_from_person(person, to_binary(decode_grey(sample["garment_mask.png"])))
    return None


def decode_canvas(
    sample: Mapping[str, Any], recipe: TrainRecipe, generator: torch.Generator | None
) -> Canvas | None:
    """Raw tar members -> :class:`Canvas` at the recipe's size; mask augmented when ``generator`` is given."""
    person = to_signed(decode_rgb(sample["person.jpg"]))
    garment = garment_half(sample, person, recipe)
    if garment is None:
        return None
    width, height = recipe.canvas.half_width_px, recipe.canvas.half_height_px
    mask = fit(to_binary(decode_grey(sample["agnostic_mask.png"])), width, height, is_mask=True)
    if generator is not None:
        mask = augment_mask(mask, recipe.mask_augment, generator)
    return compose(
        fit(garment, width, height, is_mask=False), fit(person, width, height, is_mask=False), mask
    )


def whole_dataset(urls: list[str], category: str | None = None) -> Iterator[dict[str, Any]]:
    """All samples of all shards in shard order, in this process or worker, whatever the world size.

    Samples of an all-category build come as samples of ``category`` alone
    (:func:`vtondata.output.format.category_view`); those not accepted for it are left out.
    """
    for raw in webdataset_stream(urls):
        if category is None and "agnostic_mask.png" not in raw:
            raise InputError(
                f"sample {raw['__key__']} holds a mask per category; pick one with --category (data.category)"
            )
        sample = category_view(raw, category) if category is not None else raw
        if sample is not None:
            yield sample


@dataclass(frozen=True)
class ShardScan:
    """What one pass over the shards found: sample count, garment source per sample, prompts needed."""

    samples: int
    by_source: dict[str, int] = field(default_factory=dict)
    """``cloth``, ``person_crop`` or ``data.no_cloth`` (skipped) -> number of samples."""
    prompts: frozenset[str] = frozenset()
    skipped: frozenset[str] = frozenset()
    """Keys of the ``data.no_cloth`` samples: left out of the training order before it is numbered."""


def scan_shards(urls: list[str], recipe: TrainRecipe) -> ShardScan:
    """Read every shard once (no image decoding except garment masks) before training starts."""
    by_source: Counter[str] = Counter()
    prompts: set[str] = set()
    skipped: set[str] = set()
    count = 0
    for sample in whole_dataset(urls, recipe.data.category):
        count += 1
        source = _garment_source(sample, recipe)
        by_source[source] += 1
        if source == "data.no_cloth":
            skipped.add(sample["__key__"])
        else:
            prompts.add(sample_prompt(sample, recipe))
    return ShardScan(
        samples=count,
        by_source=dict(sorted(by_source.items())),
        prompts=frozenset(prompts),
        skipped=frozenset(skipped),
    )


def scan_fingerprint(urls: list[str], recipe: TrainRecipe) -> dict[str, Any]:
    """What a scan depends on: shard paths and sizes, and the settings that decide garments and prompts."""
    return {
        "shards": [[url, Path(url).stat().st_size] for url in urls],
        "missing_cloth": recipe.data.missing_cloth,
        "use_captions": recipe.conditioning.use_captions,
        "prompt": recipe.conditioning.prompt,
        **({"category": recipe.data.category} if recipe.data.category is not None else {}),
    }


def read_scan(path: Path, urls: list[str], recipe: TrainRecipe) -> ShardScan | None:
    """The scan saved at ``path`` when it was made of these shards with these settings, else ``None``."""
    if not path.is_file():
        return None
    saved = json.loads(path.read_text(encoding="utf-8"))
    if saved.get("fingerprint") != scan_fingerprint(urls, recipe) or "skipped" not in saved:
        return None
    return ShardScan(
        samples=saved["samples"],
        by_source=saved["by_source"],
        prompts=frozenset(saved["prompts"]),
        skipped=frozenset(saved["skipped"]),
    )


def cached_scan(path: Path, urls: list[str], recipe: TrainRecipe) -> ShardScan:
    """:func:`read_scan`, or scan the shards and save the result at ``path`` (``RUN/data.json``)."""
    scan = read_scan(path, urls, recipe)
    if scan is not None:
        return scan
    scan = scan_shards(urls, recipe)
    saved = {
        "samples": scan.samples,
        "by_source": scan.by_source,
        "prompts": sorted(scan.prompts),
        "skipped": sorted(scan.skipped),
        "fingerprint": scan_fingerprint(urls, recipe),
    }
    path.write_text(json.dumps(saved, indent=2) + "\n", encoding="utf-8")
    return scan


def _garment_source(sample: Mapping[str, Any], recipe: TrainRecipe) -> str:
    if "cloth.jpg" in sample:
        return "cloth"
    usable = (
        recipe.data.missing_cloth == "person_crop"
        and "garment_mask.png" in sample
        and bool(decode_grey(sample["garment_mask.png"]).max() > 127)
    )
    return "person_crop" if usable else "data.no_cloth"


def held_out(urls: list[str], recipe: TrainRecipe) -> list[tuple[str, str, Canvas]]:
    """The first ``validation.num_samples`` usable samples in shard order: ``(key, prompt, canvas)``.

    They are removed from the training stream, and rendered without mask
    augmentation, so validation grids compare like with like across steps.
    """
    wanted = recipe.validation.num_samples
    chosen: list[tuple[str, str, Canvas]] = []
    if wanted == 0:
        return chosen
    for sample in whole_dataset(urls, recipe.data.category):
        canvas = decode_canvas(sample, recipe, generator=None)
        if canvas is not None:
            chosen.append((sample["__key__"], sample_prompt(sample, recipe), canvas))
        if len(chosen) == wanted:
            break
    return chosen


def collate(samples: list[dict[str, Any]]) -> Batch:
    return {
        "keys": [sample["key"] for sample in samples],
        "positions": [sample["position"] for sample in samples],
        "prompts": [sample["prompt"] for sample in samples],
        "image": torch.stack([sample["image"] for sample in samples]),
        "mask": torch.stack([sample["mask"] for sample in samples]),
    }


def decode_training_sample(raw: Mapping[str, Any], position: int, recipe: TrainRecipe) -> dict[str, Any]:
    """One raw sample at ``position`` of the global order -> what :func:`collate` stacks.

    Its mask augmentation draws from the sample's own generator, so it does
    not depend on which process or worker decodes it.
    """
    generator = sample_generator(recipe.training.seed, position, "augment")
    canvas = decode_canvas(raw, recipe, generator)
    if canvas is None:
        raise RuntimeError(f"sample {raw['__key__']}: no garment, although the scan found one")
    return {
        "key": raw["__key__"],
        "position": position,
        "prompt": sample_prompt(raw, recipe),
        "image": canvas.image,
        "mask": canvas.mask,
    }


def read_in_order(urls: list[str], category: str | None = None) -> Iterator[dict[str, Any]]:
    """Raw samples of the given tars, in the given order, in whichever process or worker asks."""
    yield from whole_dataset(urls, category)


class TrainingBatches(torch.utils.data.IterableDataset):
    """This process's micro-batches of the global sample order (:mod:`vtondata.train.order`), endless.

    ``consumed_batches`` micro-batches were already trained on (a resumed
    run): the first batch yielded is micro-batch ``consumed_batches``. Under
    a DataLoader each worker builds every ``num_workers``-th micro-batch.
    """

    def __init__(
        self,
        urls: list[str],
        recipe: TrainRecipe,
        scan: ShardScan,
        *,
        held_keys: frozenset[str] = frozenset(),
        rank: int = 0,
        world_size: int = 1,
        consumed_batches: int = 0,
    ) -> None:
        super().__init__()
        exclude = held_keys | scan.skipped
        self.order = GlobalOrder(
            urls=tuple(urls),
            seed=recipe.training.seed,
            shuffle_buffer=recipe.data.shuffle_buffer,
            exclude_keys=exclude,
            epoch_samples=scan.samples - len(exclude),
        )
        self.recipe = recipe
        self.rank, self.world_size = rank, world_size
        self.consumed_batches = consumed_batches

    def __iter__(self) -> Iterator[Batch]:
        worker = torch.utils.data.get_worker_info()
        share = Share(
            rank=self.rank,
            world_size=self.world_size,
            batch_size=self.recipe.training.batch_size,
            worker=0 if worker is None else worker.id,
            num_workers=1 if worker is None else worker.num_workers,
        )
        samples: list[dict[str, Any]] = []
        read = functools.partial(read_in_order, category=self.recipe.data.category)
        for _, position, raw in shared_samples(self.order, share, self.consumed_batches, read):
            samples.append(decode_training_sample(raw, position, self.recipe))
            if len(samples) == share.batch_size:
                yield collate(samples)
                samples = []


def training_loader(batches: TrainingBatches, num_workers: int) -> torch.utils.data.DataLoader:
    """Batches from ``num_workers`` worker processes (0 = this process); batching happens in the workers."""
    return torch.utils.data.DataLoader(batches, batch_size=None, num_workers=num_workers)
