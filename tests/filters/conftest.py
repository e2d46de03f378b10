"""Real samples for the filter tests: the shared photos through the offline recipe's stages."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.photos import link_photos, real_photos
from vtondata.api import build_stages
from vtondata.config import load_recipe
from vtondata.ingest.chunks import plan_chunks
from vtondata.ingest.scan import scan_inputs
from vtondata.runners.base import run_stages
from vtondata.sample import Category, Sample


def processed_samples(raw: Path, recipe_name: str = "offline") -> list[Sample]:
    """Samples of every photo under ``raw`` after ingest, pose, segment and mask (no quality, no encode)."""
    recipe = load_recipe(recipe_name)
    stages = [stage for stage in build_stages(recipe) if stage.name not in {"quality", "encode"}]
    items = scan_inputs(raw, recipe.ingest)
    samples = [s for chunk in plan_chunks(items, len(items), Category.UPPER) for s in chunk.samples()]
    return run_stages(stages, samples)


@pytest.fixture(scope="session")
def real_samples(tmp_path_factory: pytest.TempPathFactory) -> list[Sample]:
    """The 16 shared photos, processed; every one is accepted by the stages before quality."""
    raw = link_photos(tmp_path_factory.mktemp("filters-raw"), real_photos())
    samples = processed_samples(raw)
    assert all(sample.accepted for sample in samples), [s.rejection for s in samples if not s.accepted]
    return samples
