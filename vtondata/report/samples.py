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

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from vtondata.output.format import decode_grey
from vtondata.report.dataset import Dataset, iter_members, shown_categories
from vtondata.report.form_leakage import FormLeakage
from vtondata.report.selection import Selection
from vtondata.report.thumbnails import Tile, accepted_tile, source_tile

if TYPE_CHECKING:
    from vtondata.report.build import ReportLimits


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
    tiles: dict[str, Tile] = {}
    found_forms: dict[str, str | None] = {}
    shown = set(gallery_keys)
    for key, files in iter_members(dataset, [rows[position]["key"] for position in wanted]):
        mask = decode_grey(files["agnostic_mask.png"]) > 127
        parse = decode_grey(files["parse.png"]) if "parse.png" in files else None
        keypoints = np.asarray(json.loads(files["pose.json"])["canonical"]["keypoints_px"], dtype=np.float32)
        if key in leakage_keys and mask_category[key] == collector.category:
            found_forms[key] = collector.add(mask, parse, keypoints)
        elif parse is not None:
            found_forms[key] = collector.form(parse, keypoints)
        if key in shown:
            tiles[key] = accepted_tile(files, mask, parse, limits.thumbnail_height_px)
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
