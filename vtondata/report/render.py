"""``report.html`` and ``report.json``: write both from the outputs alone.

The page is one self-contained file that opens from disk: thumbnails are
data URIs, charts inline SVG, styles and the one script are inline, and the gallery
is drawn by that script from a JSON block in the page. A
Content-Security-Policy in the page forbids every network load and every
script except the page's own (allowed by its sha256, not by
``'unsafe-inline'``), so even text that escaped escaping could not run.
Text that came from the inputs (file names, error messages) is escaped by
jinja2's autoescaping in the HTML, by :func:`page_json` in the JSON block,
and inserted by the script as text (``textContent``), never as markup: a
file named ``<img src=x onerror=...>.jpg`` shows its name and nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from vtondata import schemas
from vtondata.geometry.keypoints import J
from vtondata.geometry.parse_map import PARSE_LABELS
from vtondata.output.format import json_bytes
from vtondata.output.layout import report_html_path, report_json_path, write_bytes_atomic
from vtondata.report.build import ReportLimits, build_report
from vtondata.report.charts import histogram_chart
from vtondata.report.dataset import open_dataset
from vtondata.report.samples import read_samples
from vtondata.report.selection import select
from vtondata.report.thumbnails import PARSE_COLOURS, Tile

SKELETON: tuple[tuple[str, str], ...] = (
    ("nose", "neck"),
    ("left_eye", "nose"),
    ("right_eye", "nose"),
    ("left_ear", "left_eye"),
    ("right_ear", "right_eye"),
    ("neck", "left_shoulder"),
    ("neck", "right_shoulder"),
    ("left_shoulder", "left_elbow"),
    ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"),
    ("right_elbow", "right_wrist"),
    ("neck", "mid_hip"),
    ("mid_hip", "left_hip"),
    ("mid_hip", "right_hip"),
    ("left_hip", "left_knee"),
    ("left_knee", "left_ankle"),
    ("right_hip", "right_knee"),
    ("right_knee", "right_ankle"),
)
"""Canonical joint pairs the detail view draws as the skeleton."""


@dataclass(frozen=True)
class ReportFiles:
    """Where the report was written."""

    html: Path
    json: Path


def write_report(
    out: str | Path, raw: str | Path | None = None, limits: ReportLimits | None = None
) -> ReportFiles:
    """Write ``OUT/report.json`` (validated against schemas/report.schema.json) and ``OUT/report.html``.

    ``raw`` is the input folder the dataset was built from; with it rejected
    samples show their source photos, without it placeholders.
    """
    out = Path(out)
    limits = limits or ReportLimits()
    dataset = open_dataset(out)
    selection = select(
        dataset.table.column("reason_code").to_pylist(),
        limits.gallery_samples,
        limits.min_per_reason,
        limits.leakage_samples,
    )
    read = read_samples(dataset, selection, Path(raw) if raw is not None else None, limits)
    report = build_report(dataset, limits, selection, read)
    schemas.validate("report", report)
    html = render_html(report, read.tiles)
    files = ReportFiles(html=report_html_path(out), json=report_json_path(out))
    write_bytes_atomic(files.json, json_bytes(report, indent=2) + b"\n")
    write_bytes_atomic(files.html, html.encode("utf-8"))
    return files


def render_html(report: dict[str, Any], tiles: dict[str, Tile]) -> str:
    """The page for a ``report.json`` document and the gallery's tiles (by key)."""
    environment = Environment(
        loader=PackageLoader("vtondata.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["num"] = number
    environment.filters["share"] = share
    environment.filters["duration"] = duration
    script, _, _ = environment.loader.get_source(environment, "report.js")  # type: ignore[union-attr]
    charts = {statistic["name"]: histogram_chart(statistic) for statistic in report["statistics"]}
    return environment.get_template("report.html.j2").render(
        report=report,
        charts=charts,
        limits=report["limits"],
        page_data=page_json(_page_data(report, tiles)),
        script=script,
        script_hash=_csp_hash(script),
    )


def _page_data(report: dict[str, Any], tiles: dict[str, Tile]) -> dict[str, Any]:
    """What the page's script draws: every gallery sample with its tile, and the tables it needs."""
    empty = Tile(photo=None).as_dict()
    return {
        "labels": [
            {"id": label, "name": name, "rgb": PARSE_COLOURS[name]}
            for label, name in sorted(PARSE_LABELS.items())
        ],
        "skeleton": [[J[a], J[b]] for a, b in SKELETON],
        "statistics": [
            {"name": statistic["name"], "thresholds": statistic["thresholds"]}
            for statistic in report["statistics"]
        ],
        "samples": [
            {**sample, **(tiles[sample["key"]].as_dict() if sample["key"] in tiles else empty)}
            for sample in report["gallery"]["samples"]
        ],
    }


def page_json(value: Any) -> str:
    """JSON safe inside ``<script type="application/json">``: ``<``, ``>``, ``&`` escaped as ``\\uXXXX``."""
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _csp_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def number(value: float | None) -> str:
    """A number for people: thousands separators, about four significant digits, no exponent below 1e9."""
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    magnitude = abs(value)
    if magnitude == 0:
        return "0"
    if magnitude >= 1e9 or magnitude < 1e-4:
        return f"{value:.3g}"
    if magnitude >= 1000:
        return f"{value:,.0f}"
    decimals = max(0, 3 - int(f"{magnitude:e}".split("e")[1]))
    return f"{value:,.{min(decimals, 6)}f}".rstrip("0").rstrip(".")


def duration(seconds: float | None) -> str:
    """Seconds for people: ``µs`` / ``ms`` below a second, ``s`` below a minute, then ``min`` / ``h``."""
    if seconds is None:
        return "–"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    if seconds < 60:
        return f"{seconds:.2f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:,.1f} h"


def share(part: float, whole: float | None = None) -> str:
    """``part`` as a percentage, of ``whole`` when given (else ``part`` is already a fraction)."""
    fraction = part / whole if whole else (part if whole is None else 0.0)
    return f"{100 * fraction:.1f} %"
