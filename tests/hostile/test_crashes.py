"""One input never stops the run: long, non-UTF-8 and deeply nested names, FIFOs, malformed pairs lines."""

from __future__ import annotations

import json
import os
import threading

import pyarrow.parquet as pq

from tests.hostile import corpus
from tests.hostile.conftest import HOSTILE_STEMS, build_cli
from vtondata.config import load_recipe
from vtondata.config.ingest import IngestConfig
from vtondata.ingest.scan import scan_inputs
from vtondata.sample import Category, Sample
from vtondata.stages.ingest import IngestStage


def _scan(raw):
    recipe = load_recipe("offline")
    return scan_inputs(raw, recipe.ingest, duplicates=recipe.quality.duplicates, pairing=recipe.cloth.pairing)


def test_a_name_of_249_bytes_or_more_is_scanned(tmp_path):
    name = "n" * 251 + ".jpg"
    (tmp_path / name).write_bytes(corpus.person_jpeg())
    (item,) = _scan(tmp_path)
    assert item.source_path == name and item.rejection is None


def test_folders_nested_a_thousand_deep_are_scanned(tmp_path):
    corpus.nested_folders(tmp_path, 1000, "deep.jpg", corpus.person_jpeg())
    try:
        (item,) = _scan(tmp_path)
    finally:
        corpus.remove_nested_folders(tmp_path, 1000, "deep.jpg")
    assert item.source_path == "d/" * 1000 + "deep.jpg"


def test_a_folder_too_deep_to_open_is_one_rejected_row_not_a_stopped_scan(tmp_path):
    (tmp_path / "top.jpg").write_bytes(corpus.person_jpeg())
    corpus.nested_folders(tmp_path, 1000, "deep.jpg", corpus.person_jpeg(seed=1), folder="dddd")
    try:
        items = _scan(tmp_path)
    finally:
        corpus.remove_nested_folders(tmp_path, 1000, "deep.jpg", folder="dddd")
    assert [item.source_path for item in items][-1] == "top.jpg"
    (folder,) = items[:-1]
    assert folder.source_path.startswith("dddd/dddd/") and folder.source_path.endswith("/")
    assert folder.rejection is not None and folder.rejection.code == "ingest.unreadable"
    assert "cannot list this folder" in folder.rejection.message


def test_names_that_are_not_utf8_build_and_rebuild_with_the_bytes_escaped(reference_build):
    raw, out = reference_build
    rows = pq.read_table(out / "index").to_pylist()
    assert len(rows) == len(HOSTILE_STEMS) and all(row["accepted"] for row in rows), rows
    assert "caf\\xe9.jpg" in {row["source_path"] for row in rows}
    rerun = build_cli(raw, out)
    assert rerun.exit_code == 0, rerun.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["inputs"] == manifest["counts"]["accepted"] == len(HOSTILE_STEMS)


def test_a_path_that_became_a_fifo_is_rejected_without_blocking(tmp_path):
    path = tmp_path / "person.jpg"
    path.write_bytes(corpus.person_jpeg())
    (item,) = _scan(tmp_path)
    path.unlink()
    os.mkfifo(path)
    sample = Sample(
        key=item.key, index=0, source_path=item.source_path, category=Category.UPPER, chunk=0,
        source_abs=item.source_abs, source_sha256=item.sha256,
    )  # fmt: skip
    worker = threading.Thread(target=IngestStage(IngestConfig()).process_batch, args=([sample],), daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "ingest blocked on a FIFO"
    assert sample.rejection is not None and sample.rejection.code == "ingest.unreadable"
    assert "FIFO" in sample.rejection.message


def test_a_malformed_pairs_line_is_a_clear_error_naming_the_line(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "person.jpg").write_bytes(corpus.person_jpeg())
    (raw / "pairs.txt").write_text("# person garment\nperson.jpg garment.jpg extra\n")
    result = build_cli(raw, tmp_path / "out")
    assert result.exit_code == 3, result.output
    text = " ".join(result.output.split())
    assert "pairs.txt:2: expected 'person garment'" in text and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_a_pairs_file_that_is_not_utf8_is_a_clear_error(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "person.jpg").write_bytes(corpus.person_jpeg())
    (raw / "pairs.txt").write_bytes(b"person.jpg caf\xe9.jpg\n")
    result = build_cli(raw, tmp_path / "out")
    assert result.exit_code == 3, result.output
    assert "not UTF-8" in result.output
