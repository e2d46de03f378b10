"""Cloth stage: the paired garment photo's mask, its checks, and the centred ``cloth.jpg``.

Runs only on samples with a paired garment photo (``sample.cloth_abs``, set
by the scan from vtondata.ingest.pairs); the others pass through. Garment
photos are read and decoded with ingest's guards (the recipe's ``ingest``
limits: ``cloth.too_large``, ``cloth.unreadable``) and must still have the
bytes the scan hashed (``cloth.changed``). The mask
comes from the injected segmenter (SAM2 with a centre point and an inset
box) or, without one, from the classical light-background mask
(:mod:`vtondata.geometry.cloth`). Statistics ``cloth.area_ratio``,
``cloth.secondary_ratio``, ``cloth.border_touch_ratio`` and, with SAM2,
``cloth.pred_iou``; the recipe's ``quality.cloth`` thresholds, in order, each a
reason code: ``cloth.too_small`` (``min_area_ratio``),
``cloth.multiple_garments`` (``max_secondary_ratio``: a second component
above that share of the largest), ``cloth.cut_by_frame``
(``max_border_touch_ratio`` of the border). Accepted garments are centred and padded
to ``target_size_wh``: ``sample.cloth_jpg`` and ``sample.cloth_mask``.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Protocol

import numpy as np
from PIL import ImageOps

from vtondata.config.cloth import ClothConfig
from vtondata.config.ingest import IngestConfig
from vtondata.config.quality import ClothQuality, QualityConfig
from vtondata.filters.thresholds import failing, thresholds_from_quality
from vtondata.geometry.cloth import (
    ClothShape,
    centre_on_canvas,
    classical_foreground,
    cloth_shape,
    largest_component,
)
from vtondata.geometry.regions import fill_holes
from vtondata.ingest.decode import open_bounded
from vtondata.ingest.files import read_input
from vtondata.output.format import encode_jpeg
from vtondata.sample import Rejection, Sample
from vtondata.stages.base import Resources, Stage


class ClothSegmenter(Protocol):
    """A model that masks garment photos (the SAM2 backend implements it)."""

    name: str
    device: str

    def load(self) -> None: ...

    def close(self) -> None: ...

    def segment_cloth(self, images_rgb: list[np.ndarray]) -> list[tuple[np.ndarray, float]]:
        """``(HxW bool mask, predicted IoU)`` per ``HxWx3`` uint8 RGB garment photo."""
        ...


class ClothStage(Stage):
    name: ClassVar[str] = "cloth"

    def __init__(
        self,
        config: ClothConfig,
        segmenter: ClothSegmenter | None = None,
        batch_size: int = 4,
        limits: IngestConfig | None = None,
        checks: ClothQuality | None = None,
    ):
        self.config = config
        self.segmenter = segmenter
        self.limits = limits or IngestConfig()
        self.thresholds = [
            threshold
            for threshold in thresholds_from_quality(QualityConfig(cloth=checks or ClothQuality()))
            if threshold.family == "cloth"
        ]
        self.resources = (
            Resources.for_model(segmenter, batch_size)
            if segmenter is not None
            else Resources(num_cpus=1, batch_size=8, stateful=False)
        )

    def setup(self) -> None:
        if self.segmenter is not None:
            self.segmenter.load()

    def teardown(self) -> None:
        if self.segmenter is not None:
            self.segmenter.close()

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        todo = [
            (sample, _read_rgb(sample, self.limits))
            for sample in samples
            if sample.accepted and sample.cloth_abs
        ]
        readable = [(sample, image) for sample, image in todo if image is not None]
        if not readable:
            return samples
        images = [image for _, image in readable]
        if self.segmenter is not None:
            masks = [(mask, mask, iou) for mask, iou in self.segmenter.segment_cloth(images)]
        else:
            threshold = self.config.background_threshold
            foregrounds = [classical_foreground(image, threshold) for image in images]
            masks = [(fg, fill_holes(largest_component(fg)), None) for fg in foregrounds]
        for (sample, image), (evidence, mask, pred_iou) in zip(readable, masks, strict=True):
            self._apply(sample, image, cloth_shape(np.asarray(evidence, dtype=bool)), mask, pred_iou)
        return samples

    def _apply(
        self, sample: Sample, image: np.ndarray, shape: ClothShape, mask: np.ndarray, pred_iou: float | None
    ) -> None:
        """Record ``shape`` (from all of the evidence), run the checks, centre the garment ``mask``."""
        config = self.config
        sample.stats.update(
            {
                "cloth.area_ratio": shape.area_ratio,
                "cloth.secondary_ratio": shape.secondary_ratio,
                "cloth.border_touch_ratio": shape.border_touch_ratio,
            }
        )
        if pred_iou is not None:
            sample.stats["cloth.pred_iou"] = float(pred_iou)
        sample.meta["cloth"] = {
            **sample.meta.get("cloth", {}),
            "segmenter": self.segmenter.name if self.segmenter is not None else "classical",
            "size_wh": list(config.target_size_wh),
        }
        failed = failing(sample.stats, self.thresholds)
        if failed:
            first = failed[0].rejection(sample.stats[failed[0].statistic])
            sample.reject(first.code, first.message)
        else:
            canvas, canvas_mask = centre_on_canvas(
                image, np.asarray(mask, dtype=bool), config.target_size_wh, config.margin_rel
            )
            sample.cloth_jpg = encode_jpeg(canvas)
            sample.cloth_mask = canvas_mask


def _read_rgb(sample: Sample, limits: IngestConfig) -> np.ndarray | None:
    """The garment photo as ``HxWx3`` uint8 RGB (EXIF orientation applied), or ``None`` with a rejection.

    Read and decoded with ingest's guards (``limits``: regular file, byte and
    pixel bounds, accepted formats); its hash is recorded and must match the scan's.
    """
    name = Path(sample.cloth_abs or "").name
    read = read_input(sample.cloth_abs or "", limits.max_file_bytes, f"garment photo {name}", "cloth")
    if isinstance(read, Rejection):
        sample.reject(read.code, read.message)
        return None
    sample.meta["cloth"] = {"source_name": name, "source_sha256": read.sha256}
    if sample.cloth_sha256 is not None and sample.cloth_sha256 != read.sha256:
        sample.reject("cloth.changed", f"garment photo {name} changed after the scan; re-run the build")
        return None
    opened = open_bounded(read.data, limits)
    if isinstance(opened, Rejection):
        code = "cloth.too_large" if opened.code == "ingest.too_large" else "cloth.unreadable"
        sample.reject(code, f"garment photo {name}: {opened.message}")
        return None
    with opened as image:
        try:
            return np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
        except (OSError, ValueError) as error:
            sample.reject("cloth.unreadable", f"garment photo {name} cannot be decoded: {error}")
            return None
