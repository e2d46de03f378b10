"""``report.html`` and ``report.json``: write both from the outputs alone.

The page is one self-contained file: charts and thumbnails are data URIs,
styles are inline, and there is no script at all. A Content-Security-Policy
in the page forbids every network load and every script, and jinja2
autoescaping turns any text that came from the inputs (file names, error
messages) into text, so a file named ``<img src=x onerror=...>.jpg`` shows
its name and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from vtondata import schemas
from vtondata.output.format import json_bytes
from vtondata.output.layout import report_html_path, report_json_path, write_bytes_atomic
from vtondata.report.build import ReportLimits, build_report
from vtondata.report.charts import histogram_data_uri
from vtondata.report.thumbnails import gallery_images


@dataclass(frozen=True)
class ReportFiles:
    """Where the report was written."""

    html: Path
    json: Path


def write_report(
    out: str | Path, raw: str | Path | None = None, limits: ReportLimits | None = None
) -> ReportFiles:
    """Write ``OUT/report.json`` (validated against schemas/report.schema.json) and ``OUT/report.html``.

    ``raw`` is the input folder the dataset was built from; with it the
    rejected gallery shows the source photos, without it placeholders.
    """
    out = Path(out)
    limits = limits or ReportLimits()
    report = build_report(out, limits)
    schemas.validate("report", report)
    images = gallery_images(out, Path(raw) if raw is not None else None, report["gallery"], limits)
    html = render_html(report, images)
    files = ReportFiles(html=report_html_path(out), json=report_json_path(out))
    write_bytes_atomic(files.json, json_bytes(report, indent=2) + b"\n")
    write_bytes_atomic(files.html, html.encode("utf-8"))
    return files


def render_html(report: dict[str, Any], images: dict[str, str]) -> str:
    """The page for a ``report.json`` document and the gallery thumbnails (``{key: data URI}``)."""
    environment = Environment(
        loader=PackageLoader("vtondata.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["num"] = _number
    environment.filters["share"] = _share
    charts = {statistic["name"]: histogram_data_uri(statistic) for statistic in report["statistics"]}
    return environment.get_template("report.html.j2").render(
        report=report, images=images, charts=charts, limits=report["limits"]
    )


def _number(value: float | int | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.4g}"


def _share(part: float, whole: float | None = None) -> str:
    """``part`` as a percentage, of ``whole`` when given (else ``part`` is already a fraction)."""
    fraction = part / whole if whole else (part if whole is None else 0.0)
    return f"{100 * fraction:.1f} %"
