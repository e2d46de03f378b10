"""``report.json``: what a run did, computed from its outputs alone (index, manifest, shards), no model.

Because it reads only ``OUT/``, ``vtondata report OUT`` can rebuild it
anywhere, and it always describes the dataset as it is on disk. The same
document feeds ``report.html`` (:mod:`vtondata.report.render`), so the page
shows nothing that the JSON does not hold, except images.

Thresholds are those of the dataset's category (``quality.categories``), the
ones its quality stage applied. The what-if table answers "how many more (or fewer) inputs would I lose if I
moved this threshold?": each quality threshold is moved alone by ±10 % and
±25 % of its value (of the statistic's observed range when the value is 0),
the others kept, and the share of inputs rejected is recomputed. Inputs
rejected by a stage other than ``quality`` stay rejected whatever the
thresholds.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from vtondata.filters.thresholds import Threshold, thresholds_from_quality
from vtondata.report.dataset import Dataset
from vtondata.report.samples import SamplesRead
from vtondata.report.selection import Selection
from vtondata.sample import ALL_CATEGORIES, Category

REPORT_FORMAT = "vtondata.report"
REPORT_SCHEMA_VERSION = "2.0.0"
WHAT_IF_CHANGES = (-0.25, -0.10, 0.10, 0.25)
HISTOGRAM_BINS = 30


@dataclass(frozen=True)
class ReportLimits:
    """How much of a large run the report shows; the size cap of ``report.html`` (docs/report.md)."""

    gallery_samples: int = 2_000
    """Most inputs in the gallery; a larger run is sampled evenly (vtondata.report.selection)."""
    min_per_reason: int = 24
    """Fewest gallery samples of each rejection reason (all of them when there are fewer)."""
    leakage_samples: int = 2_000
    """Most accepted samples read for the form-leakage score, evenly spaced."""
    thumbnail_height_px: int = 192
    image_budget_bytes: int = 20_000_000
    """Tiles keep their images in gallery order until their data URIs add up to this; later ones get none."""
    shard_rows: int = 500
    """Shard rows shown in the HTML table; report.json lists every shard."""
    message_chars: int = 300


def build_report(
    dataset: Dataset, limits: ReportLimits, selection: Selection, read: SamplesRead
) -> dict[str, Any]:
    """The ``report.json`` document (schemas/report.schema.json) of ``dataset``, its gallery and forms."""
    manifest = dataset.manifest
    table = dataset.table
    order = stage_order(manifest, table)
    stats = _stats_columns(table, order)
    accepted = np.asarray(table.column("accepted").to_pylist(), dtype=bool)
    reasons = table.column("reason_code").to_pylist()
    quality = manifest["recipe"]["resolved"].get("quality")
    category = manifest.get("category")
    own_thresholds = category if category != ALL_CATEGORIES else None
    thresholds = thresholds_from_quality(quality, own_thresholds) if quality else []
    timings = _timings(table, order)
    return {
        "format": REPORT_FORMAT,
        "schema_version": REPORT_SCHEMA_VERSION,
        "dataset": _dataset_header(manifest),
        "counts": {
            "inputs": table.num_rows,
            "accepted": int(accepted.sum()),
            "rejected": int((~accepted).sum()),
            **({"categories": _category_counts(table)} if category == ALL_CATEGORIES else {}),
        },
        "timings_s": timings,
        "funnel": _funnel(reasons, [entry["stage"] for entry in timings], order),
        "statistics": [
            _statistic(name, values, accepted, [t for t in thresholds if t.statistic == name])
            for name, values in stats.items()
        ],
        "what_if": _what_if(stats, thresholds, accepted, reasons),
        "gallery": _gallery(table, stats, selection, read, limits),
        "form_leakage": read.form_leakage,
        "shards": [
            {key: shard[key] for key in ("path", "samples", "inputs", "bytes", "sha256")}
            for shard in manifest["shards"]
        ],
        "limits": asdict(limits),
    }


def _category_counts(table: pa.Table) -> dict[str, dict[str, int]]:
    """Accepted and rejected inputs per category of an all-category build."""
    counts = {}
    for category in Category:
        accepted = sum(table.column(f"accepted_{category}").to_pylist())
        counts[str(category)] = {"accepted": accepted, "rejected": table.num_rows - accepted}
    return counts


def _dataset_header(manifest: dict[str, Any]) -> dict[str, Any]:
    return {
        "category": manifest["category"],
        "created_utc": manifest["created_utc"],
        "schema_version": manifest["schema_version"],
        "producer": manifest["producer"],
        "recipe": {"name": manifest["recipe"]["name"], "sha256": manifest["recipe"]["sha256"]},
        "inputs_sha256": manifest["inputs_sha256"],
        "backends": manifest["backends"],
    }


def stage_order(manifest: dict[str, Any], table: pa.Table) -> list[str]:
    """The stages in data-flow order, as the manifest records them.

    Datasets written before the manifest recorded ``stages`` get the order
    their samples were timed in: each stage at the furthest position it took
    in any sample's timings (a sample that went all the way shows them all).
    """
    if manifest.get("stages"):
        return list(manifest["stages"])
    position: dict[str, int] = {}
    for pairs in table.column("timings_s").to_pylist():
        for index, (stage, _) in enumerate(pairs or []):
            position[stage] = max(position.get(stage, 0), index)
    return sorted(position, key=lambda stage: (position[stage], stage))


def stage_rank(stage: str, order: list[str]) -> tuple[int, str]:
    """Sort key putting stages in ``order``; a stage not in it follows, alphabetically."""
    return (order.index(stage), "") if stage in order else (len(order), stage)


def _timings(table: pa.Table, order: list[str]) -> list[dict[str, Any]]:
    """Per stage: seconds summed over samples, and the mean over samples that have the stage."""
    totals: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    for pairs in table.column("timings_s").to_pylist():
        for stage, seconds in pairs or []:
            if np.isfinite(seconds):
                totals[stage] += seconds
                counts[stage] += 1
    return [
        {
            "stage": stage,
            "total_s": totals[stage],
            "mean_s": totals[stage] / counts[stage],
            "samples": counts[stage],
        }
        for stage in sorted(totals, key=lambda stage: stage_rank(stage, order))
    ]


def _funnel(reasons: list[str | None], stages_run: list[str], order: list[str]) -> list[dict[str, Any]]:
    """Per stage in data-flow order: inputs that reached it, those it rejected (by reason), those left.

    Stages are those that timed a sample or rejected one (a rejection code
    names its stage), so a stage a recipe does not run is not listed.
    """
    by_reason = Counter(code for code in reasons if code is not None)
    stages = {code.split(".", 1)[0] for code in by_reason} | set(stages_run)
    remaining = len(reasons)
    funnel = []
    for stage in sorted(stages, key=lambda stage: stage_rank(stage, order)):
        codes = sorted(
            ((code, count) for code, count in by_reason.items() if code.split(".", 1)[0] == stage),
            key=lambda item: (-item[1], item[0]),
        )
        rejected = sum(count for _, count in codes)
        funnel.append(
            {
                "stage": stage,
                "entered": remaining,
                "rejected": rejected,
                "passed": remaining - rejected,
                "reasons": [{"code": code, "count": count} for code, count in codes],
            }
        )
        remaining -= rejected
    return funnel


def _stats_columns(table: pa.Table, order: list[str]) -> dict[str, np.ndarray]:
    """Every statistic as a float array over all rows (NaN where a row lacks it), in stage order."""
    rows = [dict(pairs or []) for pairs in table.column("stats").to_pylist()]
    names = sorted(
        {name for row in rows for name in row},
        key=lambda name: (stage_rank(name.split(".")[0], order), name),
    )
    return {name: np.asarray([row.get(name, np.nan) for row in rows], dtype=np.float64) for name in names}


def _statistic(
    name: str, values: np.ndarray, accepted: np.ndarray, thresholds: list[Threshold]
) -> dict[str, Any]:
    finite = np.isfinite(values)
    measured = values[finite]
    summary: dict[str, Any] = {
        "name": name,
        "measured": int(finite.sum()),
        "missing": int((~finite).sum()),
        "thresholds": [
            {"direction": t.direction, "value": t.value, "reason_code": t.reason_code} for t in thresholds
        ],
        "summary": None,
        "histogram": None,
    }
    if measured.size == 0:
        return summary
    summary["summary"] = {
        "min": float(measured.min()),
        "p05": float(np.percentile(measured, 5)),
        "median": float(np.median(measured)),
        "p95": float(np.percentile(measured, 95)),
        "max": float(measured.max()),
        "mean": float(measured.mean()),
    }
    edges = _edges(measured, [t.value for t in thresholds])
    summary["histogram"] = {
        "edges": edges.tolist(),
        "accepted": np.histogram(values[finite & accepted], edges)[0].tolist(),
        "rejected": np.histogram(values[finite & ~accepted], edges)[0].tolist(),
    }
    return summary


def _edges(measured: np.ndarray, marks: list[float]) -> np.ndarray:
    """Bin edges spanning the values and the thresholds, so every threshold line falls on the chart."""
    low = min([float(measured.min()), *marks])
    high = max([float(measured.max()), *marks])
    if high - low <= 0:
        pad = max(abs(low) * 0.05, 0.5)
        low, high = low - pad, high + pad
    return np.linspace(low, high, HISTOGRAM_BINS + 1)


def _what_if(
    stats: dict[str, np.ndarray], thresholds: list[Threshold], accepted: np.ndarray, reasons: list[str | None]
) -> list[dict[str, Any]]:
    """Share of inputs rejected with each threshold moved alone (module docstring)."""
    inputs = accepted.size
    if inputs == 0 or not thresholds:
        return []
    fixed = np.asarray([code is not None and not code.startswith("quality.") for code in reasons], dtype=bool)
    fails = np.stack([_fails(stats.get(t.statistic), t.direction, t.value, inputs) for t in thresholds])
    rows = []
    for position, threshold in enumerate(thresholds):
        others = np.delete(fails, position, axis=0).any(axis=0) | fixed
        values = stats.get(threshold.statistic)
        step = abs(threshold.value) or _spread(values)
        moves = [{"change": 0.0, "value": threshold.value}] + [
            {"change": change, "value": threshold.value + change * step} for change in WHAT_IF_CHANGES
        ]
        for move in moves:
            failing = _fails(values, threshold.direction, move["value"], inputs)
            move["share_failing"] = float(failing.mean())
            move["share_rejected"] = float((others | failing).mean())
        rows.append(
            {
                "statistic": threshold.statistic,
                "direction": threshold.direction,
                "value": threshold.value,
                "reason_code": threshold.reason_code,
                "moves": sorted(moves, key=lambda move: move["change"]),
            }
        )
    return rows


def _fails(values: np.ndarray | None, direction: str, value: float, inputs: int) -> np.ndarray:
    """Which inputs fail ``direction value``; an unmeasured statistic fails nothing (quality stage rule)."""
    if values is None:
        return np.zeros(inputs, dtype=bool)
    with np.errstate(invalid="ignore"):
        return values < value if direction == "min" else values > value


def _spread(values: np.ndarray | None) -> float:
    finite = values[np.isfinite(values)] if values is not None else np.empty(0)
    return float(finite.max() - finite.min()) if finite.size else 0.0


def _gallery(
    table: pa.Table,
    stats: dict[str, np.ndarray],
    selection: Selection,
    read: SamplesRead,
    limits: ReportLimits,
) -> dict[str, Any]:
    """The samples the page shows, in input order, each with its verdict, statistics and visible form."""
    columns = ["key", "source_path", "category", "accepted", "reason_code", "reason_message"]
    rows = table.select(columns).to_pylist()
    samples = []
    for position in selection.gallery:
        row = rows[position]
        samples.append(
            {
                "key": row["key"],
                "source_path": row["source_path"],
                "category": row["category"],
                "accepted": row["accepted"],
                "reason_code": row["reason_code"],
                "reason_message": (row["reason_message"] or "")[: limits.message_chars] or None,
                "form": read.forms.get(row["key"]),
                "stats": {
                    name: float(values[position])
                    for name, values in stats.items()
                    if np.isfinite(values[position])
                },
            }
        )
    return {
        "inputs": table.num_rows,
        "shown": len(samples),
        "sampled": selection.sampled(table.num_rows),
        "tiles_over_budget": read.tiles_over_budget,
        "samples": samples,
    }
