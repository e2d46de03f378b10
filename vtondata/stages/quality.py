"""QualityStage: measure every filter family's statistics, then apply the recipe's thresholds.

The ``mask`` family's statistics are the mask stage's (``mask.*``, measured
on the mask that will be written); the others are measured here.

Measuring and deciding are apart: every statistic is stored in
``sample.stats`` whether or not a threshold uses it, so reports and
``vtondata calibrate`` see the same numbers the decision saw. Thresholds are
checked in a fixed order (recipe blocks, then fields); the first failure is
the sample's rejection and every failure is listed in ``meta["quality"]``.
Each sample is judged by its category's blocks (``quality.categories``).
With ``quality.second_pose`` set, a second pose model runs on each batch
(the stage then loads it in ``setup`` and runs as a model stage) and
``pose.agreement_distance`` measures how far it puts the category's joints
from the first model's.
Near-duplicates are decided earlier, at scan time (see
:mod:`vtondata.filters.duplicates`).
"""

from __future__ import annotations

from typing import ClassVar

from vtondata.backends.base import PoseBackend, PoseResult, predict_accepted
from vtondata.config.quality import QualityConfig, for_category
from vtondata.filters import image, pose, segmentation
from vtondata.filters.agreement import agreement_distance
from vtondata.filters.thresholds import OWN_STEP_FAMILIES, failing, thresholds_from_quality
from vtondata.sample import Category, Sample
from vtondata.stages.base import Resources, Stage


class QualityStage(Stage):
    """Adds ``image.*``, ``pose.*`` and ``segment.*`` statistics; rejects ``quality.*``."""

    name: ClassVar[str] = "quality"
    resources = Resources(num_cpus=1, batch_size=8, stateful=False)

    def __init__(self, config: QualityConfig, second_pose: PoseBackend | None = None) -> None:
        self.config = config
        self.second_pose = second_pose
        self.thresholds = {
            category: [
                t for t in thresholds_from_quality(config, category) if t.family not in OWN_STEP_FAMILIES
            ]
            for category in Category
        }
        if second_pose is not None:
            batch_size = config.second_pose.batch_size if config.second_pose else self.resources.batch_size
            self.resources = Resources.for_model(second_pose, batch_size)

    def setup(self) -> None:
        if self.second_pose is not None:
            self.second_pose.load()

    def teardown(self) -> None:
        if self.second_pose is not None:
            self.second_pose.close()

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        """With a second pose model, one call for the batch first (``pose.agreement_distance``)."""
        if self.second_pose is not None:
            for sample, result in predict_accepted(samples, self._second_opinion, self.second_pose.name):
                self._agree(sample, result)
        return super().process_batch(samples)

    def _second_opinion(self, samples: list[Sample]) -> list[PoseResult]:
        assert self.second_pose is not None
        return self.second_pose.predict([sample.image_rgb() for sample in samples])

    def _agree(self, sample: Sample, result: PoseResult) -> None:
        if sample.keypoints_px is None or sample.image_size is None:
            return
        visible = for_category(self.config, sample.category).pose.visible_confidence
        sample.stats["pose.agreement_distance"] = agreement_distance(
            sample.keypoints_px, result.keypoints_px, sample.category, visible, sample.image_size
        )

    def process_sample(self, sample: Sample) -> None:
        category = Category(sample.category)
        visible = for_category(self.config, category).pose.visible_confidence
        sample.stats.update(image.measure(sample, visible))
        sample.stats.update(pose.measure(sample, visible))
        sample.stats.update(segmentation.measure(sample, visible))
        failed = failing(sample.stats, self.thresholds[category])
        sample.meta["quality"] = {
            "failed": [
                {
                    "code": t.reason_code,
                    "statistic": t.statistic,
                    "value": sample.stats[t.statistic],
                    "threshold": t.value,
                }
                for t in failed
            ]
        }
        if failed:
            first = failed[0].rejection(sample.stats[failed[0].statistic])
            sample.reject(first.code, first.message)
