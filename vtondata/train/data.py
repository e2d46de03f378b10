"""Shards -> batches of canvases: the webdataset pipeline of the Flux Fill trainer.

Order of operations per worker: shards (resampled with a per-node, per-worker
seed, or a shuffled list split by node and worker), tar members grouped into
samples, held-back validation keys removed, a shuffle buffer, a sample
counter that also skips what a resumed run already consumed, decoding into a
canvas (masks decoded by hand so they stay single-channel) with mask
augmentation, then fixed-size batches.

Every random choice after the shuffle is seeded from ``(seed, rank, worker,
sample counter)``, and the shuffles are seeded too, so a run that resumes
after ``n`` batches sees exactly the batches an uninterrupted run would.

Every process of a distributed run builds its own stream: training shards
are resampled with a per-process seed or split by node; the one-off passes
(:func:`scan_shards`, :func:`held_out`) read every shard in whichever
process calls them, straight through :mod:`vtondata.output.reader` with no
node splitting.

Samples without ``cloth.jpg`` (today's builder pairs no garment photos) use
``data.missing_cloth``: ``person_crop`` cuts the worn garment out of
``person.jpg`` with ``garment_mask.png``; samples with neither garment photo
nor a non-empty garment mask are skipped and counted as ``data.no_cloth``.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import torch
import webdataset as wds
from webdataset.utils import PipelineStage, pytorch_worker_info

from vtondata.errors import InputError
from vtondata.output.format import decode_grey, decode_rgb
from vtondata.output.reader import is_dataset, shard_paths, webdataset_samples, webdataset_stream
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

logger = logging.getLogger(__name__)

Batch = dict[str, Any]
"""``keys``, ``prompts``: B strings; ``image``: (B, 3, H, 2W) in [-1, 1]; ``mask``: (B, 1, H, 2W), 0 or 1."""


def shard_urls(shards: Path) -> list[str]:
    """Tar paths of a dataset: ``OUT`` (its manifest's shards), a folder of ``*.tar``, or one tar."""
    if shards.is_file():
        return [str(shards)]
    if is_dataset(shards):
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


def whole_dataset(urls: list[str]) -> Iterator[dict[str, Any]]:
    """All samples of all shards in shard order, in this process, whatever the world size."""
    return webdataset_stream(urls)


@dataclass(frozen=True)
class ShardScan:
    """What one pass over the shards found: sample count, garment source per sample, prompts needed."""

    samples: int
    by_source: dict[str, int] = field(default_factory=dict)
    """``cloth``, ``person_crop`` or ``data.no_cloth`` (skipped) -> number of samples."""
    prompts: frozenset[str] = frozenset()


def scan_shards(urls: list[str], recipe: TrainRecipe) -> ShardScan:
    """Read every shard once (no image decoding except garment masks) before training starts."""
    by_source: Counter[str] = Counter()
    prompts: set[str] = set()
    count = 0
    for sample in whole_dataset(urls):
        count += 1
        source = _garment_source(sample, recipe)
        by_source[source] += 1
        if source != "data.no_cloth":
            prompts.add(sample_prompt(sample, recipe))
    return ShardScan(samples=count, by_source=dict(sorted(by_source.items())), prompts=frozenset(prompts))


def scan_fingerprint(urls: list[str], recipe: TrainRecipe) -> dict[str, Any]:
    """What a scan depends on: shard paths and sizes, and the settings that decide garments and prompts."""
    return {
        "shards": [[url, Path(url).stat().st_size] for url in urls],
        "missing_cloth": recipe.data.missing_cloth,
        "use_captions": recipe.conditioning.use_captions,
        "prompt": recipe.conditioning.prompt,
    }


def read_scan(path: Path, urls: list[str], recipe: TrainRecipe) -> ShardScan | None:
    """The scan saved at ``path`` when it was made of these shards with these settings, else ``None``."""
    if not path.is_file():
        return None
    saved = json.loads(path.read_text(encoding="utf-8"))
    if saved.get("fingerprint") != scan_fingerprint(urls, recipe):
        return None
    return ShardScan(
        samples=saved["samples"], by_source=saved["by_source"], prompts=frozenset(saved["prompts"])
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
    for sample in whole_dataset(urls):
        canvas = decode_canvas(sample, recipe, generator=None)
        if canvas is not None:
            chosen.append((sample["__key__"], sample_prompt(sample, recipe), canvas))
        if len(chosen) == wanted:
            break
    return chosen


def stream_worker(consumed_batches: int) -> tuple[int, int, int]:
    """``(rank, stream, num_workers)`` of the calling DataLoader worker.

    A DataLoader takes batches from its workers round-robin, starting with
    worker 0. After ``consumed_batches`` the next batch is due from stream
    ``consumed_batches % num_workers``, so a resumed loader's worker ``k``
    plays stream ``(k + consumed_batches) % num_workers``: everything a
    worker does (shard choice, shard split, sample seeds) follows its stream.
    """
    rank, _, worker, num_workers = pytorch_worker_info()
    return rank, (worker + consumed_batches) % num_workers, num_workers


def _stream_seed(consumed_batches: int) -> int:
    rank, stream, _ = stream_worker(consumed_batches)
    return rank * 1000 + stream


def _split_by_stream(src: Iterator[dict[str, Any]], consumed_batches: int) -> Iterator[dict[str, Any]]:
    _, stream, num_workers = stream_worker(consumed_batches)
    yield from islice(src, stream, None, num_workers)


class _CountAndDecode(PipelineStage):
    """Number samples per stream, drop the first ones (already trained on), decode the rest.

    The counter lives on the stage object, so it keeps counting across
    repeated epochs inside one worker process.
    """

    def __init__(self, recipe: TrainRecipe, consumed_batches: int) -> None:
        self.recipe = recipe
        self.consumed_batches = consumed_batches
        self.seen = 0

    def run(self, src: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        rank, stream, num_workers = stream_worker(self.consumed_batches)
        skip = self.recipe.training.batch_size * len(range(stream, self.consumed_batches, num_workers))
        for sample in src:
            number, self.seen = self.seen, self.seen + 1
            if number < skip:
                continue
            entropy = np.random.SeedSequence([self.recipe.training.seed, rank, stream, number])
            generator = torch.Generator().manual_seed(int(entropy.generate_state(1)[0]))
            canvas = decode_canvas(sample, self.recipe, generator)
            if canvas is not None:
                yield {
                    "key": sample["__key__"],
                    "prompt": sample_prompt(sample, self.recipe),
                    "image": canvas.image,
                    "mask": canvas.mask,
                }


def collate(samples: list[dict[str, Any]]) -> Batch:
    return {
        "keys": [sample["key"] for sample in samples],
        "prompts": [sample["prompt"] for sample in samples],
        "image": torch.stack([sample["image"] for sample in samples]),
        "mask": torch.stack([sample["mask"] for sample in samples]),
    }


def training_pipeline(
    urls: list[str],
    recipe: TrainRecipe,
    *,
    exclude_keys: frozenset[str] = frozenset(),
    consumed_batches: int = 0,
) -> wds.DataPipeline:
    """The endless stream of training batches for this process (see the module docstring)."""
    seed = recipe.training.seed
    if recipe.data.resample:
        worker_seed = partial(_stream_seed, consumed_batches)
        shards: list[Any] = [
            wds.ResampledShards(urls, seed=seed, worker_seed=worker_seed, deterministic=True)
        ]
    else:
        shards = [
            wds.SimpleShardList(urls),
            wds.detshuffle(bufsize=len(urls), initial=len(urls), seed=seed),
            wds.split_by_node,
            wds.pipelinefilter(_split_by_stream)(consumed_batches),
        ]
    pipeline = wds.DataPipeline(
        *shards,
        webdataset_samples(),
        wds.select(lambda sample: sample["__key__"] not in exclude_keys),
        wds.detshuffle(bufsize=recipe.data.shuffle_buffer, initial=recipe.data.shuffle_buffer, seed=seed),
        _CountAndDecode(recipe, consumed_batches),
        wds.batched(recipe.training.batch_size, collation_fn=collate, partial=False),
    )
    return pipeline if recipe.data.resample else pipeline.repeat(nepochs=1 << 62)


def training_loader(
    urls: list[str],
    recipe: TrainRecipe,
    *,
    exclude_keys: frozenset[str] = frozenset(),
    consumed_batches: int = 0,
) -> wds.WebLoader:
    """Batches from ``data.num_workers`` worker processes (batching happens in the workers)."""
    pipeline = training_pipeline(urls, recipe, exclude_keys=exclude_keys, consumed_batches=consumed_batches)
    return wds.WebLoader(pipeline, batch_size=None, num_workers=recipe.data.num_workers)
