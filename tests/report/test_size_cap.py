"""The size cap: a large run (many shards, many rejection reasons, readable sources) stays under 25 MB."""

from __future__ import annotations

import json
import re
from collections import Counter

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
MAX_HTML_BYTES = 25_000_000


def _large_dataset(out, raw):
    """12 000 inputs in 120 chunks; one in ten accepted, the others spread over 400 reason codes.

    Every source is a noise photo (the worst case for compressed thumbnails), so
    the gallery's 2 000 tiles would need more than the image budget.
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
    gallery = report["gallery"]
    assert gallery["sampled"] and gallery["shown"] == len(gallery["samples"]) == limits.gallery_samples
    shown_reasons = Counter(sample["reason_code"] for sample in gallery["samples"])
    assert len(shown_reasons) == REASONS + 1, "every rejection reason and the accepted samples are shown"
    assert min(shown_reasons.values()) >= limits.gallery_samples // (REASONS + 1)
    assert f"Showing {limits.gallery_samples:,} of {inputs:,} inputs" in html

    images = re.findall(r'"(?:photo|mask|parse)":"(data:image/[a-z]+;base64,[^"]*)"', html)
    assert images and sum(len(uri) for uri in images) <= limits.image_budget_bytes
    assert gallery["tiles_over_budget"] > 0, "noise photos spend the image budget before the last tiles"
    assert html.count("<tr><td><code>shards/") == CHUNKS

    leakage = report["form_leakage"]
    assert leakage["samples_read"] == min(limits.leakage_samples, inputs // 10)
    assert leakage["unlabelled"] == leakage["samples_read"], "synthetic samples have no parse map"
    assert all(result["auc"] is None for result in leakage["results"])


def test_shard_table_is_cut_to_the_row_limit(large):
    out, _ = large
    limits = ReportLimits(shard_rows=50, gallery_samples=100, leakage_samples=10)
    html = write_report(out, None, limits).html.read_text(encoding="utf-8")
    assert html.count("<tr><td><code>shards/") == 50
    assert f"{CHUNKS - 50} more shards are listed in report.json" in html
