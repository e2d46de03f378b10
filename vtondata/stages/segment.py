"""Segment stage: evidence layers for a batch in one backend call.

Every layer the backend returns replaces the sample's layer of that name (the
segmenter's silhouette wins over a pose model's), cut to the photo's own
pixels: letterbox bars belong to no layer. Statistics:
``segment.<layer>_area_ratio`` (share of the image's pixels) for each layer
and ``segment.<score>`` for each backend score. A sample whose ``"person"``
layer comes back empty is rejected ``segment.no_person``. The backend gets
the canonical keypoints too (all zeros for a sample without pose), which
prompt-based backends need, and each sample's
:class:`~vtondata.backends.base.ImageSource` (original path and ingest
placement), which annotation backends read, and what the pose stage found
(silhouette and landmark sets), which the ``landmarks`` backend draws from; a sample whose annotation file is
missing is rejected ``segment.no_annotation``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from vtondata.backends.base import (
    PriorEvidence,
    SegmentBackend,
    SegmentResult,
    photo_box,
    provenance,
    sample_sources,
)
from vtondata.config.segment import SegmentConfig
from vtondata.geometry.keypoints import NUM_CANONICAL
from vtondata.geometry.regions import inside_box
from vtondata.sample import Sample
from vtondata.stages.base import ModelStage


class SegmentStage(ModelStage[SegmentResult]):
    name: ClassVar[str] = "segment"
    config: SegmentConfig
    backend: SegmentBackend

    def predict(self, samples: list[Sample]) -> list[SegmentResult]:
        images = [s.image_rgb() for s in samples]
        keypoints = [_keypoints_or_zeros(s) for s in samples]
        evidence = [PriorEvidence(layers=dict(s.layers), landmarks_px=s.landmarks_px) for s in samples]
        return self.backend.predict(images, keypoints, sources=sample_sources(samples), evidence=evidence)

    def apply(self, sample: Sample, result: SegmentResult) -> None:
        meta: dict[str, Any] = dict(provenance(self.backend))
        if result.notes:
            meta["notes"] = dict(result.notes)
        sample.meta["segment"] = meta
        if result.no_annotation is not None:
            sample.reject("segment.no_annotation", result.no_annotation)
            return
        box = photo_box(sample)
        for name, layer in result.layers.items():
            layer = inside_box(layer, box)
            sample.layers[name] = layer
            share = np.count_nonzero(layer) / layer.size if layer.size else 0.0
            sample.stats[f"segment.{name}_area_ratio"] = share
        for name, score in result.scores.items():
            sample.stats[f"segment.{name}"] = float(score)
        person = result.layers.get("person")
        if person is not None and not np.any(person):
            sample.reject("segment.no_person", f"the {self.backend.name} segmenter found no person pixels")


def _keypoints_or_zeros(sample: Sample) -> np.ndarray:
    if sample.keypoints_px is None:
        return np.zeros((NUM_CANONICAL, 3), dtype=np.float32)
    return sample.keypoints_px
