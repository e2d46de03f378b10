"""The size cap: a large run (many shards, many rejection reasons, readable sources) stays under 15 MB."""

from __future__ import annotations

import json
import re

import cv2
import numpy as np
import pytest

from tests.output.synthetic import make_sample, write_test_manifest
from vtondata import schemas
from vtondata.config import load_recipe
from vtondata.config.output import OutputConfig
from vtondata.output.shards import write_chunk
from vtondata.report import ReportLimits, write_report
from vtondata.stages.encode import EncodeStage

CHUNKS, CHUNK_SIZE, REASONS = 120, 100, 400
MAX_HTML_BYTES = 15_000_000


def _large_dataset(out, raw):
    """12 000 inputs in 120 chunks; one in ten accepted, the others spread over 400 reason codes.

    Every source is a noise photo (the worst case for JPEG thumbnails), so the
    galleries' 2 424 tiles would need about twice the image budget.
    """
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (320, 240, 3), dtype=np.uint8)
    source = raw / "noise.jpg"
    raw.mkdir()
    cv2.imwrite(str(source), noise, [cv2.IMWRITE_JPEG_QUALITY, 95])
    (raw / "people").mkdir()
    encode = EncodeStage(OutputConfig())
    records = []
    for chunk in range(CHUNKS):
        samples = []
        for index in range(chunk * CHUNK_SIZE, (chunk + 1) * CHUNK_SIZE):
            code = None if index % 10 == 0 else f"pose.reason_{(index // 10) % REASONS:03d}"
            sample = make_sample(index, chunk=chunk, rejected=code)
            sample.stats["mask.area_ratio"] = float(rng.uniform(0.1, 0.6))
            samples.append(sample)
            (raw / sample.source_path).symlink_to(source)
        records.append(write_chunk(out, "train", chunk, encode.process_batch(samples)))
    write_test_manifest(
        out, records, load_recipe("offline", {"quality.categories.upper.mask.max_area_ratio": "0.5"})
    )


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    out, raw = tmp_path_factory.mktemp("large") / "out", tmp_path_factory.mktemp("large") / "raw"
    _large_dataset(out, raw)
    return out, raw


def test_large_run_report_stays_under_the_cap(large):
    out, raw = large
    limits = ReportLimits()
    files = write_report(out, raw, limits)

    html = files.html.read_text(encoding="utf-8")
    assert len(html.encode()) < MAX_HTML_BYTES
    report = json.loads(files.json.read_text(encoding="utf-8"))
    schemas.validate("report", report)
    inputs = CHUNKS * CHUNK_SIZE
    assert report["counts"] == {"inputs": inputs, "accepted": inputs // 10, "rejected": inputs - inputs // 10}
    assert len(report["shards"]) == CHUNKS
    assert len(report["gallery"]["rejected"]) == REASONS
    assert all(len(r["samples"]) == limits.rejected_per_reason for r in report["gallery"]["rejected"])
    assert len(report["gallery"]["accepted"]) == limits.accepted_samples

    thumbnails = re.findall(r'src="(data:image/jpeg;base64,[^"]*)"', html)
    shown = limits.accepted_samples + REASONS * limits.rejected_per_reason
    assert 0 < len(thumbnails) < shown, "the image budget leaves the last gallery tiles as placeholders"
    assert sum(len(uri) for uri in thumbnails) <= limits.image_budget_bytes
    assert html.count('class="placeholder"') >= shown - len(thumbnails)
    assert html.count("<tr><td><code>shards/") == CHUNKS


def test_shard_table_is_cut_to_the_row_limit(large):
    out, _ = large
    html = write_report(out, None, ReportLimits(shard_rows=50)).html.read_text(encoding="utf-8")
    assert html.count("<tr><td><code>shards/") == 50
    assert f"{CHUNKS - 50} more shards are listed in report.json" in html
