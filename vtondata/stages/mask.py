"""MaskStage: the agnostic mask of each sample, by its own category.

An adapter over ``vtondata.geometry.agnostic``: it checks the joints the
category needs (``mask.missing_joints`` names them), draws the mask, stores
its statistics and the parameters that made it. The geometry and its
rationale live in the geometry module and docs/masks.md.
"""

from __future__ import annotations

from typing import ClassVar

from vtondata.config.mask import MaskConfig
from vtondata.geometry.agnostic import agnostic_mask, mask_stats, missing_joints
from vtondata.sample import Sample
from vtondata.stages.base import Resources, Stage


class MaskStage(Stage):
    """Sets ``sample.agnostic_mask`` (``HxW`` bool, True = repaint) and ``mask.*`` statistics."""

    name: ClassVar[str] = "mask"
    resources = Resources(num_cpus=1, batch_size=8, stateful=False)

    def __init__(self, config: MaskConfig) -> None:
        self.config = config

    def process_sample(self, sample: Sample) -> None:
        if sample.keypoints_px is None or sample.image_size is None:
            raise ValueError(f"sample {sample.key} reached the mask stage without keypoints or image size")
        threshold = self.config.min_keypoint_confidence
        missing = missing_joints(sample.keypoints_px, sample.category, threshold)
        if missing:
            sample.reject(
                "mask.missing_joints",
                f"{sample.category.value} mask needs {', '.join(missing)} above confidence {threshold}",
            )
            return
        params = self.config.for_category(sample.category)
        sample.agnostic_mask = agnostic_mask(
            sample.image_size,
            sample.keypoints_px,
            sample.layers,
            sample.category,
            params,
            min_confidence=threshold,
        )
        sample.stats.update(
            mask_stats(sample.agnostic_mask, sample.layers, sample.keypoints_px, sample.category)
        )
        sample.meta["mask"] = {"category": sample.category.value, "params": params.model_dump(mode="json")}
