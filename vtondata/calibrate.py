"""Calibrate quality thresholds on a reference dataset: "accepted" means "as clean as the reference".

``calibrate`` runs the recipe's own stages, with every quality threshold off,
over trusted photos of one category (a VITON-HD or DressCode layout, or a
plain folder), then sets each threshold the recipe enables for that category
from the reference's distribution of its statistic, with robust statistics:

* ``min_<name> = median - k_n * spread``, ``max_<name> = median + k_n * spread``
* ``spread = max(1.4826 * MAD, rel_floor * |median|, floor of the statistic)``
* ``k_n = k * (1 + 1 / sqrt(n))`` for ``n`` reference values

The median and the MAD ignore a few bad photos in the reference, which the
extremes and a standard deviation would follow. 1.4826 * MAD is the standard
deviation of normal data, so ``k = 5`` leaves a clean photo far inside; the
``1 / sqrt(n)`` term widens the band when the median and MAD rest on few
photos (their standard error shrinks as ``1 / sqrt(n)``). The floors keep a
statistic that is constant on the reference (no clipped pixels, all joints
seen) from getting zero tolerance: a relative one for sizes and levels, and one
per statistic in its own unit (``SPREAD_FLOORS``). A threshold needs at least
``min_support`` reference values; with fewer, ``calibrate`` refuses to write
it, keeps the recipe's value and says so. The thresholds go into the
category's own blocks (``quality.categories.<category>``), and each shared
threshold becomes the loosest of the calibrated categories' values. The
near-duplicate threshold is not calibrated: a reference holds no copies, so
its hash distances only say where distinct photos lie (``values`` reports
them). Each block's ``provenance`` records the reference,
its size, the date, the rule, the recipe and the support of every threshold.
Rationale and limits: docs/quality.md.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from vtondata.api import build_stages
from vtondata.config import Recipe
from vtondata.config.quality import (
    CATEGORY_FAMILIES,
    CategoryQuality,
    PoseQuality,
    QualityConfig,
    for_category,
)
from vtondata.errors import InputError
from vtondata.filters.duplicates import nearest_distances, perceptual_hash
from vtondata.filters.thresholds import Threshold, thresholds_from_quality
from vtondata.ingest.chunks import plan_chunks
from vtondata.ingest.scan import scan_inputs
from vtondata.runners.base import run_stages
from vtondata.sample import Category

SPREAD_FLOORS = {
    "image.noise_sigma": 0.5,
    "image.blockiness": 0.05,
    "image.clipped_fraction": 0.003,
    "segment.outside_foreground": 0.005,
    "pose.num_people": 0.1,
    "segment.person_components": 0.1,
}
"""Smallest spread of a statistic in its own unit: about what re-encoding or re-cropping a photo moves
it by. Statistics not listed are shares or ratios of order 1 and get ``CalibrationRule.floor``."""
PERSON_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


@dataclass(frozen=True)
class CalibrationRule:
    """Where thresholds sit in the reference's distribution (module docstring)."""

    k: float = 5.0
    """Robust standard deviations between the median and a threshold, before the small-sample widening."""
    rel_floor: float = 0.05
    """Smallest spread as a share of the median's size (pixel sizes, aspect)."""
    floor: float = 0.02
    """Smallest spread of statistics without an entry in ``SPREAD_FLOORS`` (shares, ratios)."""
    min_support: int = 10
    """Fewest reference values a threshold may be calibrated from; with fewer it is not written."""
    every_statistic: bool = False
    """Calibrate every threshold field whose statistic was measured, not only those the recipe enables."""

    def describe(self) -> str:
        return (
            f"median -/+ {self.k:g}*(1+1/sqrt(n))*max(1.4826*MAD, {self.rel_floor:g}*|median|, "
            f"floor), floor {self.floor:g} or per statistic, n >= {self.min_support}"
        )


@dataclass(frozen=True)
class Support:
    """How one threshold was calibrated: the reference values behind it, and whether it was written."""

    field: str
    """``"<family>.<min|max>_<name>"``."""
    values: int
    value: float | None
    """The calibrated threshold, ``None`` when there were fewer than ``min_support`` values."""


@dataclass(frozen=True)
class Calibration:
    """The calibrated recipe and the reference statistics it came from."""

    recipe: Recipe
    values: dict[str, list[float]]
    """Every statistic measured on the accepted reference photos."""
    photos: int
    accepted: int
    support: list[Support]
    """One entry per threshold considered, written or refused."""


def reference_photos(reference: Path) -> list[Path]:
    """The person photos of a reference: VITON-HD ``image/``, DressCode ``images/*_0``, or every image.

    The layout folders are looked for at the reference's top and one or two
    levels down (``VITON-HD/test/image``, ``DressCode/upper_body/images``).
    """
    reference = Path(reference)
    if not reference.is_dir():
        raise InputError(f"reference folder not found: {reference}")
    for pattern in ("image", "*/image", "*/*/image"):
        folders = sorted(path for path in reference.glob(pattern) if path.is_dir())
        if folders:
            return [photo for folder in folders for photo in _images(folder)]
    for pattern in ("images", "*/images", "*/*/images"):
        folders = sorted(path for path in reference.glob(pattern) if path.is_dir())
        if folders:
            return [photo for folder in folders for photo in _images(folder) if photo.stem.endswith("_0")]
    return _images(reference, recursive=True)


def calibrate(
    references: Sequence[Path],
    recipe: Recipe,
    category: Category | str = Category.UPPER,
    rule: CalibrationRule | None = None,
    today: dt.date | None = None,
) -> Calibration:
    """Measure ``references`` with ``recipe``'s stages and return the recipe with ``category``'s
    thresholds calibrated (its own blocks) and the support of each."""
    rule = rule or CalibrationRule()
    category = Category(category)
    photos = [photo for reference in references for photo in reference_photos(Path(reference))]
    if not photos:
        raise InputError(f"no person photos found under {', '.join(str(r) for r in references)}")
    values, accepted = measure_photos(photos, recipe, category)
    names = ", ".join("/".join(Path(reference).resolve().parts[-3:]) for reference in references)
    provenance = (
        f"vtondata calibrate on {names} ({len(photos)} photos, {accepted} accepted by the stages), "
        f"{(today or dt.date.today()).isoformat()}, recipe {recipe.name}, "
        f"category {category.value}: {rule.describe()}"
    )
    quality, support = calibrated_quality(recipe.quality, category, values, rule, provenance)
    return Calibration(recipe.model_copy(update={"quality": quality}), values, len(photos), accepted, support)


def measure_photos(
    photos: Sequence[Path], recipe: Recipe, category: Category
) -> tuple[dict[str, list[float]], int]:
    """Every statistic of the stages (thresholds off) over ``photos``, accepted samples only."""
    visible = recipe.quality.pose.visible_confidence
    off = QualityConfig(pose=PoseQuality(visible_confidence=visible), second_pose=recipe.quality.second_pose)
    measuring = recipe.model_copy(update={"quality": off})
    stages = [stage for stage in build_stages(measuring) if stage.name != "encode"]
    with tempfile.TemporaryDirectory(prefix="vtondata-calibrate-") as folder:
        raw = Path(folder)
        for number, photo in enumerate(photos):
            (raw / f"{number:07d}{photo.suffix.lower()}").symlink_to(photo.resolve())
        items = scan_inputs(raw, recipe.ingest)
        samples = [sample for chunk in plan_chunks(items, len(items), category) for sample in chunk.samples()]
        for stage in stages:
            stage.setup()
        try:
            samples = run_stages(stages, samples)
        finally:
            for stage in stages:
                stage.teardown()
    values: dict[str, list[float]] = {}
    kept = [sample for sample in samples if sample.accepted]
    for sample in kept:
        for name, value in sample.stats.items():
            values.setdefault(name, []).append(float(value))
    distances = nearest_distances([perceptual_hash(str(photo)) for photo in photos])
    values["duplicates.hash_distance"] = [float(d) for d in distances if d is not None]
    return values, len(kept)


def calibrated_quality(
    base: QualityConfig,
    category: Category,
    values: Mapping[str, Sequence[float]],
    rule: CalibrationRule,
    provenance: str,
) -> tuple[QualityConfig, list[Support]]:
    """``base`` with ``category``'s blocks set by ``rule`` and the shared ones the loosest of the categories.

    The category's blocks start as its effective blocks in ``base`` (its own,
    else the shared ones); thresholds with fewer than ``rule.min_support``
    values keep their value there.
    """
    effective = for_category(base, category)
    chosen = _all_on(effective) if rule.every_statistic else effective
    plain: dict[str, Any] = effective.model_dump(mode="json")
    support = []
    notes: dict[str, list[str]] = {}
    for threshold in thresholds_from_quality(chosen):
        if threshold.family not in CATEGORY_FAMILIES:
            continue
        measured = [v for v in values.get(threshold.statistic, []) if np.isfinite(v)]
        field = f"{threshold.direction}_{threshold.statistic.split('.', 1)[1]}"
        value = threshold_at(threshold, measured, rule) if len(measured) >= rule.min_support else None
        support.append(Support(f"{threshold.family}.{field}", len(measured), value))
        if value is None:
            notes.setdefault(threshold.family, []).append(f"{field} not calibrated (n={len(measured)})")
            continue
        plain[threshold.family][field] = value
        notes.setdefault(threshold.family, []).append(f"{field} n={len(measured)}")
    for family, fields in notes.items():
        plain[family]["provenance"] = f"{provenance}. Support: {', '.join(fields)}"
    own = CategoryQuality.model_validate({family: plain[family] for family in CATEGORY_FAMILIES})
    categories = base.categories.model_copy(update={category.value: own})
    quality = base.model_copy(update={"categories": categories})
    return with_loosest_shared(quality), support


def with_loosest_shared(quality: QualityConfig) -> QualityConfig:
    """``quality`` with each shared threshold the loosest of the categories that have their own blocks.

    The shared blocks are what a category without its own calibration uses
    (the bundled recipes' dress: one reference photo); the loosest value of
    the calibrated categories rejects nothing that a calibrated category would
    accept. A threshold that some category turns off is off.
    """
    owned = [
        getattr(quality.categories, category.value)
        for category in Category
        if getattr(quality.categories, category.value) is not None
    ]
    plain: dict[str, Any] = quality.model_dump(mode="json")
    for family in CATEGORY_FAMILIES:
        blocks = [getattr(own, family).model_dump(mode="json") for own in owned if getattr(own, family)]
        if not blocks:
            continue
        for field in blocks[0]:
            if not field.startswith(("min_", "max_")):
                continue
            values = [block[field] for block in blocks]
            loosest = min if field.startswith("min_") else max
            plain[family][field] = None if None in values else loosest(values)
        plain[family]["provenance"] = (
            "The loosest of the calibrated categories' values (vtondata calibrate; categories)."
        )
    return QualityConfig.model_validate(plain)


def threshold_at(threshold: Threshold, values: Sequence[float], rule: CalibrationRule) -> float:
    """The calibration rule for one statistic, rounded to 4 significant digits."""
    data = np.asarray(values, dtype=np.float64)
    centre = float(np.median(data))
    spread = max(
        1.4826 * float(np.median(np.abs(data - centre))),
        rule.rel_floor * abs(centre),
        SPREAD_FLOORS.get(threshold.statistic, rule.floor),
    )
    reach = rule.k * (1 + 1 / np.sqrt(len(data))) * spread
    value = centre - reach if threshold.direction == "min" else centre + reach
    return float(f"{value:.4g}")


def recipe_yaml(recipe: Recipe) -> str:
    """The recipe as YAML, sections in model order, ready for ``--pipeline``."""
    return yaml.safe_dump(recipe.model_dump(mode="json"), sort_keys=False, allow_unicode=True, width=100)


def _all_on(base: QualityConfig) -> QualityConfig:
    """Every threshold field set to 0, so that ``thresholds_from_quality`` lists them all."""
    plain = base.model_dump(mode="json")
    for family in (*CATEGORY_FAMILIES, "duplicates"):
        for field in plain[family]:
            if field.startswith(("min_", "max_")):
                plain[family][field] = 0.0
    return QualityConfig.model_validate(plain)


def _images(folder: Path, recursive: bool = False) -> list[Path]:
    paths = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(
        path
        for path in paths
        if path.is_file() and path.suffix.lower() in PERSON_SUFFIXES and not path.name.startswith(".")
    )
