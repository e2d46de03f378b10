"""MaskStage: the agnostic mask of each sample, by its own category.

An adapter over ``vtondata.geometry.agnostic``: it checks the joints the
category needs (``mask.missing_joints`` names them; joints outside the frame
are placed, not missing, and ``meta["mask"]["placed_out_of_frame"]`` names
them), draws the mask, stores its statistics and the parameters that made it. The geometry and its
rationale live in the geometry module and docs/masks.md.
"""

from __future__ import annotations

from typing import ClassVar

from vtondata.backends.base import photo_box
from vtondata.config.mask import MaskConfig
from vtondata.geometry.agnostic import agnostic_mask, mask_stats, missing_joints, trusted_keypoints
from vtondata.geometry.out_of_frame import PLACEABLE, place_out_of_frame, why_missing
from vtondata.geometry.parse_map import parse_map
from vtondata.sample import Category, Sample
from vtondata.stages.base import Resources, Stage


class MaskStage(Stage):
    """Sets ``sample.agnostic_mask`` (``HxW`` bool, True = repaint), ``sample.parse_map`` (when the
    layers include a silhouette) and ``mask.*`` statistics."""

    name: ClassVar[str] = "mask"
    resources = Resources(num_cpus=1, batch_size=8, stateful=False)

    def __init__(self, config: MaskConfig) -> None:
        self.config = config

    def process_sample(self, sample: Sample) -> None:
        if sample.keypoints_px is None or sample.image_size is None:
            raise ValueError(f"sample {sample.key} reached the mask stage without keypoints or image size")
        category = Category(sample.category)
        threshold = self.config.min_keypoint_confidence
        frame = photo_box(sample)
        placeable = PLACEABLE[category.value]
        placed_keypoints, placed = place_out_of_frame(sample.keypoints_px, frame, placeable, threshold)
        missing = missing_joints(placed_keypoints, category, threshold)
        if missing:
            reasons: dict[str, list[str]] = {}
            for name in missing:
                why = why_missing(placed_keypoints, name, frame, placeable, threshold)
                reasons.setdefault(why, []).append(name)
            said = "; ".join(f"{', '.join(names)}: {why}" for why, names in reasons.items())
            sample.reject(
                "mask.missing_joints",
                f"{category.value} mask needs {', '.join(missing)} above confidence {threshold} ({said})",
            )
            return
        params = self.config.for_category(category)
        sample.agnostic_mask = agnostic_mask(
            sample.image_size,
            sample.keypoints_px,
            sample.layers,
            category,
            params,
            min_confidence=threshold,
            frame_xyxy=frame,
        )
        sample.stats.update(mask_stats(sample.agnostic_mask, sample.layers, sample.keypoints_px, category))
        trusted = trusted_keypoints(placed_keypoints, category, threshold)
        sample.parse_map = parse_map(sample.layers, trusted, category)
        sample.meta["mask"] = {
            "category": category.value,
            "params": params.model_dump(mode="json"),
            "placed_out_of_frame": placed,
        }
