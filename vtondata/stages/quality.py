"""QualityStage: measure every filter family's statistics, then apply the recipe's thresholds.

Measuring and deciding are apart: every statistic is stored in
``sample.stats`` whether or not a threshold uses it, so reports and
``vtondata calibrate`` see the same numbers the decision saw. Thresholds are
checked in a fixed order (recipe blocks, then fields); the first failure is
the sample's rejection and every failure is listed in ``meta["quality"]``.
Each sample is judged by its category's blocks (``quality.categories``).
Near-duplicates are decided earlier, at scan time (see
:mod:`vtondata.filters.duplicates`).
"""

from __future__ import annotations

from typing import ClassVar

from vtondata.config.quality import QualityConfig, for_category
from vtondata.filters import image, mask, pose, segmentation
from vtondata.filters.thresholds import failing, thresholds_from_quality
from vtondata.sample import Category, Sample
from vtondata.stages.base import Resources, Stage


class QualityStage(Stage):
    """Adds ``image.*``, ``pose.*``, ``segment.*`` and ``mask.*`` statistics; rejects ``quality.*``."""

    name: ClassVar[str] = "quality"
    resources = Resources(num_cpus=1, batch_size=8, stateful=False)

    def __init__(self, config: QualityConfig) -> None:
        self.config = config
        self.thresholds = {
            category: [t for t in thresholds_from_quality(config, category) if t.family != "duplicates"]
            for category in Category
        }

    def process_sample(self, sample: Sample) -> None:
        category = Category(sample.category)
        visible = for_category(self.config, category).pose.visible_confidence
        sample.stats.update(image.measure(sample, visible))
        sample.stats.update(pose.measure(sample, visible))
        sample.stats.update(segmentation.measure(sample, visible))
        sample.stats.update(mask.measure(sample))
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
