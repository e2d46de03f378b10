"""The Ray runner's per-stage task on its own (no cluster): what crosses to the writer."""

from __future__ import annotations

import numpy as np

from vtondata.runners.ray import _objects, _stage_task
from vtondata.sample import Category, Sample
from vtondata.stages.base import Stage


class _Layers(Stage):
    name = "layers"

    def process_sample(self, sample: Sample) -> None:
        sample.layers = {"person": np.ones((4, 3), dtype=bool)}
        sample.agnostic_mask = np.ones((4, 3), dtype=bool)
        sample.files = {"meta.json": b"{}"}


def _batch() -> dict[str, np.ndarray]:
    samples = [
        Sample(key=f"k{n}", index=n, source_path=f"{n}.jpg", category=Category.UPPER, chunk=0)
        for n in range(3)
    ]
    return {"index": np.array([0]), "samples": _objects([samples])}


def test_after_the_last_stage_only_encoded_members_cross_to_the_writer():
    (middle,) = _stage_task(_batch(), _Layers())["samples"]
    assert all(sample.layers and sample.agnostic_mask is not None for sample in middle)
    (last,) = _stage_task(_batch(), _Layers(), last=True)["samples"]
    assert all(not sample.layers and sample.agnostic_mask is None for sample in last)
    assert [sample.files for sample in last] == [{"meta.json": b"{}"}] * 3
