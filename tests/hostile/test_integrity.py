"""Integrity: what is stored is what was hashed; a resume never keeps a chunk or input that changed."""

from __future__ import annotations

import hashlib

import pyarrow.parquet as pq
import pytest

from tests.hostile import corpus
from tests.hostile.conftest import build_cli, run_cli
from tests.photos import real_photos
from vtondata.config import load_recipe
from vtondata.config.ingest import IngestConfig
from vtondata.ingest.chunks import plan_chunks
from vtondata.ingest.scan import inputs_sha256, scan_inputs
from vtondata.output import layout
from vtondata.sample import Category
from vtondata.stages.ingest import IngestStage


def test_a_file_changed_between_scan_and_ingest_is_rejected_with_the_hash_of_what_was_read(tmp_path):
    path = tmp_path / "person.jpg"
    path.write_bytes(corpus.person_jpeg(seed=1))
    items = scan_inputs(tmp_path, IngestConfig())
    changed = corpus.person_jpeg(seed=2)
    path.write_bytes(changed)
    (sample,) = IngestStage(IngestConfig()).process_batch(plan_chunks(items, 1, Category.UPPER)[0].samples())
    assert sample.rejection is not None and sample.rejection.code == "ingest.changed"
    assert sample.source_sha256 == hashlib.sha256(changed).hexdigest() != items[0].sha256
    assert sample.person_jpg is None


def test_an_edited_garment_photo_changes_the_input_set(tmp_path):
    recipe = load_recipe("offline")
    (tmp_path / "person.jpg").write_bytes(corpus.person_jpeg(seed=1))
    garment = tmp_path / "person_cloth.jpg"
    garment.write_bytes(corpus.person_jpeg(seed=2))

    def scanned():
        return scan_inputs(tmp_path, recipe.ingest, pairing=recipe.cloth.pairing)

    (before,) = scanned()
    garment.write_bytes(corpus.person_jpeg(seed=3))
    (after,) = scanned()
    assert before.cloth_abs == after.cloth_abs == str(garment)
    assert inputs_sha256([before]) != inputs_sha256([after])


@pytest.mark.slow
def test_resuming_after_a_garment_photo_was_edited_is_refused(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    photo = real_photos()[0]
    (raw / f"person{photo.suffix}").symlink_to(photo)
    garment = raw / "person_cloth.jpg"
    garment.write_bytes(corpus.person_jpeg(seed=2))
    assert build_cli(raw, out).exit_code == 0
    garment.write_bytes(corpus.person_jpeg(seed=3))
    result = build_cli(raw, out)
    assert result.exit_code == 6, result.output
    assert "input set" in result.output


def test_resume_rebuilds_a_chunk_whose_tar_was_altered_or_whose_index_is_truncated(built):
    raw, out = built
    shard = layout.shard_path(out, "train", 0)
    original_shard = shard.read_bytes()
    corpus.flip_one_byte(shard, len(original_shard) // 2)
    index = layout.index_path(out, "train", 1)
    original_rows = _rows_without_timings(index)
    index.write_bytes(index.read_bytes()[: index.stat().st_size // 2])
    result = build_cli(raw, out)
    assert result.exit_code == 0, result.output
    assert shard.read_bytes() == original_shard
    assert _rows_without_timings(index) == original_rows
    assert run_cli("verify", out).exit_code == 0


def _rows_without_timings(index):
    return pq.read_table(index).drop(["timings_s"]).to_pylist()
