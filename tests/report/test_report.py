"""The report of a real build: report.json against its schema, rebuilt by the CLI, used in Chromium."""

from __future__ import annotations

import json
import re
import struct
from itertools import pairwise

import pytest
from typer.testing import CliRunner

from tests.report.chromium import browser, open_page
from tests.report.conftest import HOSTILE_NAME, MAX_AREA_RATIO
from vtondata import schemas
from vtondata.api import build_stages
from vtondata.cli import app
from vtondata.config import load_recipe
from vtondata.geometry.parse_map import PARSE_LABELS

pytestmark = pytest.mark.slow
SECTIONS = ["verdict", "gallery", "leakage", "statistics", "what-if", "funnel", "timings", "run", "shards"]
SORTED_STATISTIC = "mask.area_ratio"
"""Has a min and a max threshold in the build's recipe: "worst first" means nearest to (or beyond) either."""


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


def test_gallery_holds_every_input_with_its_verdict_and_the_accepted_forms(built):
    _, out = built
    gallery = _report(out)["gallery"]
    assert gallery["inputs"] == gallery["shown"] == 4 and not gallery["sampled"]
    by_name = {sample["source_path"]: sample for sample in gallery["samples"]}
    hostile = by_name.pop(HOSTILE_NAME)
    assert not hostile["accepted"] and hostile["reason_code"] == "ingest.truncated"
    assert hostile["reason_message"] and hostile["form"] is None
    assert all(sample["accepted"] and sample["reason_code"] is None for sample in by_name.values())
    assert all(sample["stats"][SORTED_STATISTIC] > 0 for sample in by_name.values())
    assert {sample["form"] for sample in by_name.values()} <= {"short_sleeve", "long_sleeve", None}


def test_three_samples_are_too_few_for_a_leakage_score(built):
    _, out = built
    leakage = _report(out)["form_leakage"]
    assert leakage["forms"] == {"negative": "short_sleeve", "positive": "long_sleeve"}
    assert leakage["samples_read"] == 3
    assert sum(leakage["counts"].values()) + leakage["unlabelled"] == 3
    assert [result["source"] for result in leakage["results"]] == ["mask", "visible skin"]
    assert all(result["auc"] is None and "at least 5" in result["refused"] for result in leakage["results"])
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "not enough samples of each form" in html


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
    assert "\\u003cimg src=x onerror=alert(1)\\u003e.jpg" in html  # in the page's JSON block
    assert html.count("<script") == 2  # the JSON block and the page's own script, allowed by its hash
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/]+=*'", html)
    assert re.findall(r"https?://[^\s\"'`]+", html) == [
        "http://www.w3.org/2000/svg"
    ]  # a namespace, not a load


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def _margin(value: float, thresholds: list[dict]) -> float:
    """How far inside its thresholds a value is (negative: beyond one); the page sorts worst first by it."""
    return min(value - t["value"] if t["direction"] == "min" else t["value"] - value for t in thresholds)


def _tile_names(page) -> list[str]:
    return page.locator("#grid .tile .name").all_text_contents()


def test_report_works_in_chromium_filters_sorts_and_opens_a_sample(built):
    raw, out = built
    CliRunner().invoke(app, ["report", str(out), "--raw", str(raw)])
    report = _report(out)
    accepted = [s for s in report["gallery"]["samples"] if s["accepted"]]
    with browser() as chromium, open_page(chromium, out / "report.html") as seen:
        page = seen.page
        sections = page.eval_on_selector_all("header[id], section[id]", "nodes => nodes.map(n => n.id)")
        assert sections == SECTIONS
        verdict = page.inner_text("#verdict")
        assert "4 inputs" in verdict and "3 accepted" in verdict and "1 rejected" in verdict
        assert "ingest.truncated 1" in verdict and "Form leakage" in verdict
        tiles = page.locator("#grid .tile")
        assert tiles.count() == 4
        assert tiles.first.bounding_box()["y"] < 900, "the gallery starts on the first screen"
        first_screen = page.screenshot()
        assert _png_size(first_screen) == (1280, 900) and len(first_screen) > 20_000
        unloaded = "[...document.images].filter(i => !i.complete || i.naturalWidth === 0).length"
        assert page.evaluate(unloaded) == 0
        charts = page.locator("#statistics svg.histogram")
        measured = [s for s in report["statistics"] if s["histogram"] is not None]
        assert charts.count() == len(measured) > 0
        assert page.locator("#statistics svg.histogram rect").count() >= len(measured), "every chart has bars"
        assert charts.first.bounding_box()["width"] == 336

        page.click("button[data-reason='ingest.truncated']")  # a reason on the verdict line filters
        assert _tile_names(page) == [HOSTILE_NAME]
        assert page.locator("img[onerror], img[src='x']").count() == 0

        page.select_option("#reason-filter", "")
        page.select_option("#verdict-filter", "accepted")
        page.select_option("#sort-by", SORTED_STATISTIC)
        limits = next(s["thresholds"] for s in report["statistics"] if s["name"] == SORTED_STATISTIC)
        worst_first = sorted(accepted, key=lambda s: _margin(s["stats"][SORTED_STATISTIC], limits))
        assert _tile_names(page) == [s["source_path"] for s in worst_first]
        page.select_option("#sort-order", "best")
        assert _tile_names(page) == [s["source_path"] for s in reversed(worst_first)]

        name = accepted[1]["source_path"]
        page.fill("#search", name[2:-3].upper())
        assert _tile_names(page) == [name]
        page.fill("#search", "no such file")
        assert tiles.count() == 0 and "0 of 4" in page.inner_text("#match-count")
        page.fill("#search", "")

        page.select_option("#view", "overlay")
        views = "[...document.querySelectorAll('#grid .view')]"
        shown = f"{views}.filter(v => getComputedStyle(v).display !== 'none').map(v => v.className)"
        assert page.evaluate(shown) == ["view overlay"] * 3

        tiles.first.click()
        dialog = page.locator("dialog#detail[open]")
        opened = worst_first[-1]  # still sorted best first
        assert dialog.locator("h2").inner_text() == opened["source_path"]
        assert dialog.locator("svg line").count() >= 8, "the pose skeleton is drawn"
        page.wait_for_selector("dialog .layers figure >> nth=9")
        layers = dialog.locator(".layers figcaption").all_text_contents()
        assert [text.rsplit(" ", 2)[0] for text in layers] == list(PARSE_LABELS.values())
        assert sum(float(text.rsplit(" ", 2)[1]) for text in layers) == pytest.approx(100, abs=0.6)
        row = dialog.locator("table.stats tr", has_text=SORTED_STATISTIC)
        assert f"max {MAX_AREA_RATIO}" in row.inner_text()
        assert dialog.locator("table.stats tr").count() == len(opened["stats"]) + 1
        page.keyboard.press("ArrowRight")
        assert dialog.locator("h2").inner_text() == worst_first[-2]["source_path"]
        page.click("#detail-close")
        assert page.locator("dialog#detail[open]").count() == 0

        assert seen.errors == []
        page_url = (out / "report.html").resolve().as_uri()
        assert all(url.startswith("data:") or url == page_url for url in seen.requests), seen.requests
