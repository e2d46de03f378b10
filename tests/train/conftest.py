"""Synthetic shards written by the project's own writer, and a RUN folder with cached prompt embeddings."""

from __future__ import annotations

from pathlib import Path

import pytest
from accelerate.state import AcceleratorState

from tests.output.synthetic import encoded_chunk, write_dataset
from tests.train.tiny import random_prompt_cache, tiny_pipeline, tiny_recipe
from vtondata.train.conditioning import CACHE_FILE


@pytest.fixture(scope="session")
def shards(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``OUT`` with two shards of 4 + 3 accepted samples (48 x 64 noise, garment masks, no cloth.jpg)."""
    out = tmp_path_factory.mktemp("dataset")
    write_dataset(out, [encoded_chunk(range(0, 4), chunk=0), encoded_chunk(range(4, 7), chunk=1)])
    return out


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """An empty RUN folder holding random embeddings of the fixed prompt (no text encoders offline)."""
    run = tmp_path / "run"
    random_prompt_cache([tiny_recipe().conditioning.prompt]).save(run / CACHE_FILE)
    return run


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A whole tiny FluxFillPipeline saved in diffusers layout: what ``model.path`` points at in tests."""
    path = tmp_path_factory.mktemp("tiny-flux-fill")
    tiny_pipeline().save_pretrained(path)
    return path


@pytest.fixture(autouse=True)
def fresh_accelerator_state():
    """accelerate keeps one precision per process; tests switch between fp32 and bf16 runs."""
    yield
    AcceleratorState._reset_state()
