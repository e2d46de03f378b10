"""The contract every stage keeps with the runners, checked on every stage of a build.

Each stage gets, in one batch, a sample that went through the stages before
it and a sample rejected earlier. It must return the same keys in the same
order, leave the rejected sample exactly as it was, take an empty batch, and
pickle before ``setup`` (how Ray ships it to a worker) into a copy that does
the same work.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.fakes import FakePoseBackend, FakeSegmentBackend
from tests.synthetic import dress_body, make_body
from vtondata.config import load_recipe
from vtondata.config.quality import QualityConfig
from vtondata.ingest.chunks import plan_chunks
from vtondata.ingest.scan import scan_inputs
from vtondata.sample import Category, Sample
from vtondata.stages.base import Stage
from vtondata.stages.cloth import ClothStage
from vtondata.stages.encode import EncodeStage
from vtondata.stages.ingest import IngestStage
from vtondata.stages.mask import MaskStage
from vtondata.stages.pose import PoseStage
from vtondata.stages.quality import QualityStage
from vtondata.stages.segment import SegmentStage

RECIPE = load_recipe("offline")


def _stages() -> list[Stage]:
    """Every stage of a build, in data-flow order, with fake model backends."""
    return [
        IngestStage(RECIPE.ingest),
        ClothStage(RECIPE.cloth, None, RECIPE.segment.batch_size, RECIPE.ingest, RECIPE.quality.cloth),
        PoseStage(RECIPE.pose, FakePoseBackend()),
        SegmentStage(RECIPE.segment, FakeSegmentBackend()),
        MaskStage(RECIPE.mask),
        QualityStage(QualityConfig()),  # measures all, rejects none: flat drawings look blocky
        EncodeStage(RECIPE.output),
    ]


STAGE_NAMES = [stage.name for stage in _stages()]


def test_every_stage_of_a_build_is_covered() -> None:
    from vtondata.api import build_stages

    assert [stage.name for stage in build_stages(load_recipe("offline"))] == STAGE_NAMES


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> Path:
    """Two photos of a dressed synthetic body, the first with a paired garment photo on white."""
    folder = tmp_path_factory.mktemp("raw")
    image = dress_body(make_body("arms_down"), "short_sleeve_loose").image_rgb
    for name in ("a_person.jpg", "b_person.jpg"):
        cv2.imwrite(str(folder / name), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    garment = np.full((400, 300, 3), 255, dtype=np.uint8)
    cv2.rectangle(garment, (80, 90), (220, 320), (40, 60, 170), thickness=-1)
    cv2.imwrite(str(folder / "a_person_cloth.jpg"), garment)
    return folder


def _batch_before(raw: Path, stage_name: str) -> list[Sample]:
    """The two samples as they reach ``stage_name``: the second rejected before the first stage."""
    items = scan_inputs(raw, RECIPE.ingest, pairing=RECIPE.cloth.pairing)
    (chunk,) = plan_chunks(items, len(items), Category.UPPER)
    samples = chunk.samples()
    samples[1].reject("test.rejected_earlier", "rejected before the stages")
    for stage in _stages()[: STAGE_NAMES.index(stage_name)]:
        stage.setup()
        samples = stage.process_batch(samples)
    return samples


def _stage(name: str) -> Stage:
    return _stages()[STAGE_NAMES.index(name)]


@pytest.mark.parametrize("name", STAGE_NAMES)
def test_keys_and_order_are_kept_and_the_accepted_sample_gets_through(raw, name) -> None:
    samples = _batch_before(raw, name)
    stage = _stage(name)
    stage.setup()
    done = stage.process_batch(samples)
    assert [sample.key for sample in done] == [sample.key for sample in samples]
    assert done[0].accepted, done[0].rejection
    if name == "encode":
        assert {"person.jpg", "cloth.jpg"} <= set(done[0].files)


@pytest.mark.parametrize("name", STAGE_NAMES)
def test_a_rejected_sample_is_left_untouched(raw, name) -> None:
    samples = _batch_before(raw, name)
    before = pickle.dumps(samples[1])
    stage = _stage(name)
    stage.setup()
    stage.process_batch(samples)
    assert pickle.dumps(samples[1]) == before


@pytest.mark.parametrize("name", STAGE_NAMES)
def test_an_empty_batch_is_an_empty_batch(name) -> None:
    stage = _stage(name)
    stage.setup()
    assert stage.process_batch([]) == []


@pytest.mark.parametrize("name", STAGE_NAMES)
def test_a_copy_pickled_before_setup_does_the_same_work(raw, name) -> None:
    clone = pickle.loads(pickle.dumps(_stage(name)))
    clone.setup()
    original = _stage(name)
    original.setup()
    by_clone = clone.process_batch(_batch_before(raw, name))
    by_original = original.process_batch(_batch_before(raw, name))
    assert [(s.key, s.rejection, s.stats.keys(), s.files) for s in by_clone] == [
        (s.key, s.rejection, s.stats.keys(), s.files) for s in by_original
    ]
