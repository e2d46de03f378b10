"""The ``eval-masks`` report as rich tables: per-sample scores with mean and min, form leakage, parse IoU."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from vtondata.evaluate.run import SCORE_NAMES, EvalReport

_HEADERS = {
    "garment_coverage": "garment cov ↑",
    "limb_coverage": "limb cov ↑",
    "face_intrusion": "face ↓",
    "hair_intrusion": "hair ↓",
    "hands_kept": "hands kept ↑",
    "feet_kept": "feet kept ↑",
    "background_excess": "bg excess ↓",
    "area_ratio": "area",
}


def scores_table(report: EvalReport) -> Table:
    """Per-sample scores (``-`` where a score has no ground truth) with mean and min rows."""
    table = Table(title=Text(f"{report.category}: {report.masks} vs {report.dataset}"), show_lines=False)
    table.add_column("sample", no_wrap=True)
    for name in SCORE_NAMES:
        table.add_column(_HEADERS[name], justify="right")
    table.add_column("form / note")
    for sample in report.samples:
        values = [
            sample.area_ratio if name == "area_ratio" else getattr(sample.scores, name, None)
            for name in SCORE_NAMES
        ]
        note = Text(sample.form or sample.note or "")
        table.add_row(Text(sample.stem), *(_number(value) for value in values), note)
    table.add_section()
    for statistic in ("mean", "min"):
        cells = [_number(report.summary.get(name, {}).get(statistic)) for name in SCORE_NAMES]
        table.add_row(f"[bold]{statistic}[/]", *cells, "")
    return table


def leakage_table(report: EvalReport) -> Table:
    """Form leakage AUC per feature source, with sample and fold counts, or the refusal."""
    table = Table("features", "AUC (0.5 = no leak)", "samples (+/-)", "folds", "note", title="form leakage")
    for result in report.leakage:
        table.add_row(
            result.source,
            _number(result.auc),
            f"{result.samples} ({result.positive}/{result.negative})",
            str(result.folds),
            result.refused or "",
        )
    return table


def parse_table(report: EvalReport) -> Table:
    """IoU of the output's parse maps against ground truth, per label (empty without parse maps)."""
    table = Table("label", "mean IoU", "min IoU", "samples", title="parse map vs ground truth")
    for name, values in report.parse_iou.items():
        table.add_row(name, _number(values["mean"]), _number(values["min"]), str(int(values["n"])))
    return table


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
