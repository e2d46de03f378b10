"""One pass over the shards for the samples the report looks at: gallery tiles, forms, form leakage.

Accepted samples of the gallery and of the form-leakage set
(:mod:`vtondata.report.selection`) are read together, shard by shard, so
each shard is opened once. Rejected samples of the gallery get their source
photo from the raw folder when one is given.

The image budget (``ReportLimits.image_budget_bytes``) is a last bound on
the page's size: tiles keep their images in gallery order until their data
URIs add up to it, and later tiles show a placeholder.
"""

from __future__ import annotations

import itertools
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from vtondata.output.format import decode_grey
from vtondata.report.dataset import Dataset, iter_members, shown_categories
from vtondata.report.form_leakage import FormLeakage, Measured
from vtondata.report.selection import Selection
from vtondata.report.thumbnails import Tile, accepted_tile, source_tile
from vtondata.runners.choice import available_cpus

if TYPE_CHECKING:
    from vtondata.report.build import ReportLimits


READ_BLOCK = 64
"""Samples read from the shards and handed to the threads at a time."""


@dataclass(frozen=True)
class SamplesRead:
    """What the pass found: ``tiles`` and ``forms`` by key, the ``form_leakage`` result, tiles left bare."""

    tiles: dict[str, Tile]
    forms: dict[str, str | None]
    form_leakage: dict[str, Any]
    images_bytes: int
    tiles_over_budget: int


def read_samples(
    dataset: Dataset, selection: Selection, raw: Path | None, limits: ReportLimits
) -> SamplesRead:
    """Gallery tiles, forms of the accepted samples read, form leakage over ``selection.leakage``."""
    rows = dataset.table.select(["key", "source_path", "accepted"]).to_pylist()
    gallery_keys = [rows[position]["key"] for position in selection.gallery]
    leakage_keys = {rows[position]["key"] for position in selection.leakage}
    wanted = sorted(
        {position for position in (*selection.gallery, *selection.leakage) if rows[position]["accepted"]}
    )
    mask_category = shown_categories(dataset)
    collector = FormLeakage(leakage_category(dataset))
    shown = set(gallery_keys)

    def read_one(
        key: str, files: dict[str, bytes]
    ) -> tuple[str, Measured | None, dict[str, str | None], Tile | None]:
        mask = decode_grey(files["agnostic_mask.png"]) > 127
        parse = decode_grey(files["parse.png"]) if "parse.png" in files else None
        keypoints = np.asarray(json.loads(files["pose.json"])["canonical"]["keypoints_px"], dtype=np.float32)
        measured, form = None, {}
        if key in leakage_keys and mask_category[key] == collector.category:
            measured = collector.measure(mask, parse, keypoints)
            form[key] = measured.form
        elif parse is not None:
            form[key] = collector.form(parse, keypoints)
        tile = accepted_tile(files, mask, parse, limits.thumbnail_height_px) if key in shown else None
        return key, measured, form, tile

    tiles: dict[str, Tile] = {}
    found_forms: dict[str, str | None] = {}
    members = iter_members(dataset, [rows[position]["key"] for position in wanted])
    # Decoding and drawing release the GIL: threads share the work, a block of samples at a time so
    # that only a block's members are held; the collector counts them in order.
    with ThreadPoolExecutor(available_cpus(), thread_name_prefix="vtondata-report") as pool:
        for block in iter(lambda: list(itertools.islice(members, READ_BLOCK)), []):
            for key, measured, form, tile in pool.map(lambda member: read_one(*member), block):
                if measured is not None:
                    collector.count(measured)
                found_forms.update(form)
                if tile is not None:
                    tiles[key] = tile
    for position in selection.gallery:
        row = rows[position]
        if not row["accepted"]:
            tiles[row["key"]] = source_tile(raw, row["source_path"], limits.thumbnail_height_px)
    spent, over = _apply_budget(tiles, gallery_keys, limits.image_budget_bytes)
    return SamplesRead(
        tiles=tiles,
        forms=found_forms,
        form_leakage=collector.result(),
        images_bytes=spent,
        tiles_over_budget=over,
    )


def leakage_category(dataset: Dataset) -> str:
    """The category whose form leakage the report scores: the dataset's; upper for an all-category
    build (its samples accepted for upper are scored, each category being a dataset of its own)."""
    return dataset.categories[0]


def _apply_budget(tiles: dict[str, Tile], order: list[str], budget_bytes: int) -> tuple[int, int]:
    """Drop the images of the tiles past the budget, in gallery order; ``(bytes kept, tiles dropped)``."""
    spent, over = 0, 0
    for key in order:
        tile = tiles.get(key)
        if tile is None or tile.photo is None:
            continue
        if over or spent + tile.bytes > budget_bytes:
            tiles[key] = Tile(photo=None)
            over += 1
        else:
            spent += tile.bytes
    return spent, over
