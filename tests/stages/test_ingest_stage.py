"""IngestStage: fills the sample from its file, passes rejected samples through, isolates failures."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from vtondata.config.ingest import IngestConfig
from vtondata.ingest.chunks import plan_chunks
from vtondata.ingest.scan import scan_inputs
from vtondata.runners.base import run_stage_batch
from vtondata.sample import Category, Sample
from vtondata.stages.base import Resources
from vtondata.stages.ingest import IngestStage

CONFIG = IngestConfig()


def _samples(raw, config: IngestConfig = CONFIG) -> list[Sample]:
    return plan_chunks(scan_inputs(raw, config), 64, Category.UPPER)[0].samples()


@pytest.fixture
def raw(tmp_path, persons_dir):
    """A raw folder with one 768x1024 JPEG, one 1000x500 PNG and one text file named .jpg."""
    folder = tmp_path / "raw"
    folder.mkdir()
    (folder / "a_person.jpg").write_bytes((persons_dir / "01008_00.jpg").read_bytes())
    buffer = io.BytesIO()
    Image.new("RGB", (1000, 500), (10, 120, 200)).save(buffer, format="PNG")
    (folder / "b_wide.png").write_bytes(buffer.getvalue())
    (folder / "c_text.jpg").write_text("not a photo\n")
    return folder


def test_name_and_resources():
    stage = IngestStage(CONFIG)
    assert stage.name == "ingest"
    assert stage.resources == Resources(num_cpus=1, batch_size=8, stateful=False)


def test_fills_image_meta_and_stats(raw):
    person, wide, text = run_stage_batch(IngestStage(CONFIG), _samples(raw))
    assert person.accepted and wide.accepted
    assert person.person_jpg == (raw / "a_person.jpg").read_bytes()
    assert person.image_size == wide.image_size == (768, 1024)
    assert person.image_rgb().shape == (1024, 768, 3)
    assert wide.meta["ingest"]["offset_xy"] == [0, 320]
    assert wide.stats == {
        "ingest.orig_width_px": 1000.0,
        "ingest.orig_height_px": 500.0,
        "ingest.file_bytes": float((raw / "b_wide.png").stat().st_size),
        "ingest.scale": pytest.approx(0.768),
        "ingest.reencoded": 1.0,
    }
    assert person.stats["ingest.reencoded"] == 0.0
    assert text.rejection.code == "ingest.not_an_image"
    assert "ingest" in person.timings_s


def test_file_gone_after_the_scan_is_unreadable(raw):
    samples = _samples(raw)
    (raw / "a_person.jpg").unlink()
    processed = run_stage_batch(IngestStage(CONFIG), samples)
    assert processed[0].rejection.code == "ingest.unreadable"
    assert "a_person.jpg" in processed[0].rejection.message
    assert processed[1].accepted


def test_file_grown_over_the_limit_after_the_scan_is_too_large(raw):
    config = IngestConfig(max_file_bytes=(raw / "b_wide.png").stat().st_size)
    samples = _samples(raw, config)
    with open(raw / "b_wide.png", "ab") as handle:
        handle.write(b"\0" * 10)
    processed = run_stage_batch(IngestStage(config), samples)
    assert processed[1].rejection.code == "ingest.too_large"


def test_running_twice_gives_the_same_sample(raw):
    stage = IngestStage(CONFIG)
    once = stage.process_batch(_samples(raw))
    twice = stage.process_batch(stage.process_batch(_samples(raw)))
    for first, second in zip(once, twice, strict=True):
        assert (first.person_jpg, first.meta, first.stats, first.rejection) == (
            second.person_jpg,
            second.meta,
            second.stats,
            second.rejection,
        )
