"""The report of a real build: report.json against its schema, rebuilt by the CLI, opened in Chromium."""

from __future__ import annotations

import json
import struct
from itertools import pairwise

import pytest
from typer.testing import CliRunner

from tests.report.chromium import visit
from tests.report.conftest import HOSTILE_NAME, MAX_AREA_RATIO
from vtondata import schemas
from vtondata.api import build_stages
from vtondata.cli import app
from vtondata.config import load_recipe

pytestmark = pytest.mark.slow
SECTIONS = ["run", "timings", "funnel", "statistics", "what-if", "rejected", "accepted", "shards"]


def _report(out):
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


def test_build_writes_a_valid_report_whose_counts_match_the_manifest(built):
    _, out = built
    report = _report(out)
    schemas.validate("report", report)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert report["counts"] == {key: manifest["counts"][key] for key in ("inputs", "accepted", "rejected")}
    assert report["counts"]["inputs"] == 4
    reasons = {r["code"]: r["count"] for stage in report["funnel"] for r in stage["reasons"]}
    assert reasons == manifest["counts"]["by_reason"] and reasons["ingest.truncated"] == 1
    stages = [stage["stage"] for stage in report["funnel"]]
    assert manifest["stages"] == [stage.name for stage in build_stages(load_recipe("offline"))]
    assert stages == [stage for stage in manifest["stages"] if stage in stages]
    assert stages[:5] == ["ingest", "cloth", "pose", "segment", "mask"]
    assert all(a["passed"] == b["entered"] for a, b in pairwise(report["funnel"]))
    assert [shard["sha256"] for shard in report["shards"]] == [s["sha256"] for s in manifest["shards"]]
    assert {entry["stage"] for entry in report["timings_s"]} >= {"ingest", "pose", "segment", "mask"}


def test_statistics_carry_the_recipe_threshold_and_a_what_if_row(built):
    _, out = built
    report = _report(out)
    area = next(s for s in report["statistics"] if s["name"] == "mask.area_ratio")
    code = "quality.mask_max_area_ratio"
    overridden = {"direction": "max", "value": float(MAX_AREA_RATIO), "reason_code": code}
    assert overridden in area["thresholds"]
    assert area["measured"] == 3 and sum(area["histogram"]["accepted"] + area["histogram"]["rejected"]) == 3
    row = next(r for r in report["what_if"] if r["reason_code"] == "quality.mask_max_area_ratio")
    assert [move["change"] for move in row["moves"]] == [-0.25, -0.10, 0.0, 0.10, 0.25]
    shares = [move["share_rejected"] for move in row["moves"]]
    assert shares == sorted(shares, reverse=True), "a larger max rejects no more"
    assert min(shares) >= 0.25, "the truncated input stays rejected whatever the threshold"


def test_report_command_rebuilds_the_same_json_from_the_outputs(built):
    _, out = built
    before = (out / "report.json").read_bytes()
    (out / "report.json").unlink()
    (out / "report.html").unlink()
    result = CliRunner().invoke(app, ["report", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "report.json").read_bytes() == before
    assert (out / "report.html").is_file()


def test_hostile_file_name_is_escaped_in_the_html(built):
    raw, out = built
    CliRunner().invoke(app, ["report", str(out), "--raw", str(raw)])
    html = (out / "report.html").read_text(encoding="utf-8")
    assert HOSTILE_NAME not in html
    assert "&lt;img src=x onerror=alert(1)&gt;.jpg" in html
    assert "<script" not in html and "http://" not in html and "https://" not in html


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_report_opens_in_chromium_without_errors_and_shows_every_section(built, tmp_path):
    raw, out = built
    CliRunner().invoke(app, ["report", str(out), "--raw", str(raw)])
    seen = visit(
        out / "report.html",
        {
            "sections": "[...document.querySelectorAll('header[id], section[id]')].map(e => e.id)",
            "names": "[...document.querySelectorAll('#rejected .name')].map(e => e.textContent)",
            "injected": "document.querySelectorAll('img[onerror], img[src=\"x\"]').length",
            "charts": "document.querySelectorAll('#statistics img').length",
            "accepted": "document.querySelectorAll('#accepted img').length",
            "rejected_tiles": "document.querySelectorAll('#rejected .tile').length",
            "broken": "[...document.images].filter(i => !i.complete || i.naturalWidth === 0).length",
        },
    )
    assert seen.errors == []
    page = (out / "report.html").resolve().as_uri()
    assert all(url.startswith("data:") or url == page for url in seen.requests), seen.requests
    values = seen.values
    assert values["sections"] == SECTIONS
    assert values["names"] == [HOSTILE_NAME]
    assert values["injected"] == 0 and values["broken"] == 0
    assert values["charts"] == len(_report(out)["statistics"]) > 0
    assert values["accepted"] == 3 and values["rejected_tiles"] == 1
    screenshot = tmp_path / "report-first-screen.png"
    screenshot.write_bytes(seen.screenshot_png)
    assert _png_size(seen.screenshot_png) == (1280, 900)
    assert screenshot.stat().st_size > 20_000
