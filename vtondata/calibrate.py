"""Calibrate quality thresholds on a reference dataset: "accepted" means "as clean as the reference".

``calibrate`` runs the recipe's own stages, with every quality threshold off,
over trusted photos (a VITON-HD or DressCode layout, or a plain folder), then
sets each ``min_*`` / ``max_*`` field of the recipe's ``quality`` section from
the reference's distribution of that statistic:

* ``min_<name> = P(p) - max(margin * |P(p)|, floor)``
* ``max_<name> = P(100 - p) + max(margin * |P(100 - p)|, floor)``

where ``P(q)`` is the q-th percentile over the reference photos the stages
accepted, taken as a reference value (nearest rank outwards: numpy's
``lower`` method for ``min_*``, ``higher`` for ``max_*``), so the reference
photos themselves always pass. The margin is relative to the
percentile itself, so it is unit-free and works for pixel sizes, grey-level
variances and shares alike; the absolute ``floor`` (one percentage point)
keeps a share that is exactly 0 on the reference from becoming a zero
tolerance. A statistic measured on fewer than
``MIN_MEASURED`` reference photos leaves its field as the recipe had it.
Near-duplicates use the Hamming distance of each reference photo to its
nearest earlier one. Each block's ``provenance`` records the reference, its
size, the date, the rule and the recipe. Rationale and limits: docs/quality.md.
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
from vtondata.config.quality import PoseQuality, QualityConfig
from vtondata.errors import InputError
from vtondata.filters.duplicates import near_duplicates, perceptual_hash
from vtondata.filters.thresholds import thresholds_from_quality
from vtondata.ingest.chunks import plan_chunks
from vtondata.ingest.scan import scan_inputs
from vtondata.runners.local import run_stages
from vtondata.sample import Category

MIN_MEASURED = 5
"""Fewer reference values than this say nothing about a percentile: the field is left alone."""
PERSON_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


@dataclass(frozen=True)
class CalibrationRule:
    """Where thresholds sit in the reference's distribution."""

    percentile: float = 1.0
    """``min_*`` from this percentile, ``max_*`` from ``100 - percentile``."""
    margin: float = 0.25
    """Relative slack beyond the percentile: 0.25 moves a threshold 25 % of its value outwards."""
    floor: float = 0.01
    """Smallest absolute slack, for statistics whose percentile is 0."""

    def describe(self) -> str:
        p, q, m, f = self.percentile, 100 - self.percentile, self.margin, self.floor
        return f"min_* = P{p:g} - max({m:g}*|P{p:g}|, {f:g}), max_* = P{q:g} + max({m:g}*|P{q:g}|, {f:g})"


@dataclass(frozen=True)
class Calibration:
    """The calibrated recipe and the reference statistics it came from."""

    recipe: Recipe
    values: dict[str, list[float]]
    """Every statistic measured on the accepted reference photos."""
    photos: int
    accepted: int


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
    """Measure ``references`` with ``recipe``'s stages and return the recipe with calibrated thresholds."""
    rule = rule or CalibrationRule()
    photos = [photo for reference in references for photo in reference_photos(Path(reference))]
    if not photos:
        raise InputError(f"no person photos found under {', '.join(str(r) for r in references)}")
    values, accepted = measure_photos(photos, recipe, Category(category))
    names = ", ".join("/".join(Path(reference).resolve().parts[-3:]) for reference in references)
    provenance = (
        f"vtondata calibrate on {names} ({len(photos)} photos, {accepted} accepted by the stages), "
        f"{(today or dt.date.today()).isoformat()}, recipe {recipe.name}, "
        f"category {Category(category).value}: "
        f"{rule.describe()}"
    )
    quality = calibrated_quality(recipe.quality, values, rule, provenance)
    return Calibration(recipe.model_copy(update={"quality": quality}), values, len(photos), accepted)


def measure_photos(
    photos: Sequence[Path], recipe: Recipe, category: Category
) -> tuple[dict[str, list[float]], int]:
    """Every statistic of the stages (thresholds off) over ``photos``, accepted samples only."""
    visible = recipe.quality.pose.visible_confidence
    off = QualityConfig(pose=PoseQuality(visible_confidence=visible))
    measuring = recipe.model_copy(update={"quality": off})
    stages = [stage for stage in build_stages(measuring) if stage.name != "encode"]
    with tempfile.TemporaryDirectory(prefix="vtondata-calibrate-") as folder:
        raw = Path(folder)
        for number, photo in enumerate(photos):
            (raw / f"{number:07d}{photo.suffix.lower()}").symlink_to(photo.resolve())
        items = scan_inputs(raw, recipe.ingest)
        samples = [sample for chunk in plan_chunks(items, len(items)) for sample in chunk.samples(category)]
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
    distances = near_duplicates([perceptual_hash(str(photo)) for photo in photos], None)
    values["duplicates.hash_distance"] = [float(d.distance) for d in distances if d is not None]
    return values, len(kept)


def calibrated_quality(
    base: QualityConfig, values: Mapping[str, Sequence[float]], rule: CalibrationRule, provenance: str
) -> QualityConfig:
    """``base`` with every threshold whose statistic has enough reference values set by ``rule``."""
    plain: dict[str, Any] = base.model_dump(mode="json")
    for threshold in thresholds_from_quality(_all_on(base)):
        measured = [v for v in values.get(threshold.statistic, []) if np.isfinite(v)]
        if len(measured) < MIN_MEASURED:
            continue
        field = f"{threshold.direction}_{threshold.statistic.split('.', 1)[1]}"
        plain[threshold.family][field] = threshold_at(measured, threshold.direction, rule)
        plain[threshold.family]["provenance"] = provenance
    return QualityConfig.model_validate(plain)


def threshold_at(values: Sequence[float], direction: str, rule: CalibrationRule) -> float:
    """The calibration rule for one statistic, rounded to 4 significant digits."""
    if direction == "min":
        q = float(np.percentile(values, rule.percentile, method="lower"))
    else:
        q = float(np.percentile(values, 100 - rule.percentile, method="higher"))
    slack = max(rule.margin * abs(q), rule.floor)
    value = q - slack if direction == "min" else q + slack
    return float(f"{value:.4g}")


def recipe_yaml(recipe: Recipe) -> str:
    """The recipe as YAML, sections in model order, ready for ``--recipe``."""
    return yaml.safe_dump(recipe.model_dump(mode="json"), sort_keys=False, allow_unicode=True, width=100)


def _all_on(base: QualityConfig) -> QualityConfig:
    """Every threshold field set to 0, so that ``thresholds_from_quality`` lists them all."""
    plain = base.model_dump(mode="json")
    for block in plain.values():
        for field in block:
            if field.startswith(("min_", "max_")):
                block[field] = 0.0
    return QualityConfig.model_validate(plain)


def _images(folder: Path, recursive: bool = False) -> list[Path]:
    paths = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(
        path
        for path in paths
        if path.is_file() and path.suffix.lower() in PERSON_SUFFIXES and not path.name.startswith(".")
    )
