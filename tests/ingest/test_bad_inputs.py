"""The whole bad-input corpus through scan and IngestStage: one exact verdict per file, none lost."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from tests.ingest.bad_inputs import UNICODE_NAME, make_bad_input_corpus
from vtondata.config.ingest import IngestConfig
from vtondata.ingest.chunks import plan_chunks
from vtondata.ingest.scan import scan_inputs
from vtondata.runners.base import run_stage_batch
from vtondata.sample import Category, Sample
from vtondata.stages.ingest import IngestStage

PHOTO = "01008_00.jpg"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, persons_dir):
    raw = tmp_path_factory.mktemp("raw")
    return raw, make_bad_input_corpus(raw, persons_dir / PHOTO)


def _ingest(raw, config: IngestConfig) -> list[Sample]:
    items = scan_inputs(raw, config)
    stage = IngestStage(config)
    samples = []
    for chunk in plan_chunks(items, stage.resources.batch_size, Category.UPPER):
        samples += run_stage_batch(stage, chunk.samples())
    return samples


def _verdicts(samples: list[Sample]) -> dict[str, str | None]:
    return {s.source_path: None if s.accepted else s.rejection.code for s in samples}


def test_corpus_covers_every_required_case(corpus):
    _, expected = corpus
    required = {
        "ingest.empty_file",
        "ingest.truncated",
        "ingest.not_an_image",
        "ingest.too_small",
        "ingest.too_large",
        "ingest.unreadable",
        "ingest.duplicate",
    }
    assert required <= set(expected.values())
    assert UNICODE_NAME in expected and "UPPER.JPG" in expected
    assert sum(code is None for code in expected.values()) == 7


def test_every_file_gets_exactly_its_expected_verdict_and_none_is_lost(corpus):
    raw, expected = corpus
    samples = _ingest(raw, IngestConfig())
    verdicts = _verdicts(samples)
    assert verdicts == expected
    accepted = [s for s in samples if s.accepted]
    rejected = [s for s in samples if not s.accepted]
    assert len(samples) == len(accepted) + len(rejected) == len(expected)
    for sample in rejected:
        assert sample.rejection.message, sample.source_path
        assert sample.person_jpg is None


def test_accepted_files_are_stored_as_upright_target_size_jpegs(corpus, persons_dir):
    raw, _ = corpus
    reference = np.asarray(Image.open(persons_dir / PHOTO).convert("RGB")).astype(np.int16)
    for sample in _ingest(raw, IngestConfig()):
        if not sample.accepted:
            continue
        stored = Image.open(io.BytesIO(sample.person_jpg))
        assert (stored.format, stored.size, sample.image_size) == ("JPEG", (768, 1024), (768, 1024))
        pixels = np.asarray(stored).astype(np.int16)
        if sample.source_path == UNICODE_NAME:
            pixels = pixels[:, ::-1]
        centre = (slice(100, -100), slice(100, -100))
        assert np.abs(pixels[centre] - reference[centre]).mean() < 4, sample.source_path


def test_original_jpeg_bytes_are_kept_where_nothing_changed(corpus):
    raw, _ = corpus
    by_path = {s.source_path: s for s in _ingest(raw, IngestConfig())}
    for name in ("person.jpg", "UPPER.JPG", UNICODE_NAME):
        assert by_path[name].person_jpg == (raw / name).read_bytes()
        assert by_path[name].meta["ingest"]["reencoded"] is False
    for name in ("rgba.png", "cmyk.jpg", "rgb16.png", "exif_rotated.jpg"):
        assert by_path[name].meta["ingest"]["reencoded"] is True


@pytest.mark.parametrize(
    ("policy", "name", "code"),
    [
        ({"on_alpha": "reject"}, "rgba.png", "ingest.alpha"),
        ({"on_cmyk": "reject"}, "cmyk.jpg", "ingest.cmyk"),
        ({"on_high_bit_depth": "reject"}, "rgb16.png", "ingest.high_bit_depth"),
    ],
)
def test_reject_policies_reject_exactly_their_file(corpus, policy, name, code):
    raw, expected = corpus
    verdicts = _verdicts(_ingest(raw, IngestConfig(**policy)))
    assert verdicts == {**expected, name: code}
