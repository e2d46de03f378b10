"""Thresholds as data: read them off a quality config, apply them to statistics.

The recipe spells a threshold as a field ``min_<name>`` / ``max_<name>`` in
block ``quality.<family>``; here it becomes a :class:`Threshold` on the
statistic ``<family>.<name>``. Reports and what-if tables use the same list as
the quality stage, so a number shown is a number applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from vtondata.config.quality import QualityConfig, for_category
from vtondata.sample import Rejection

REASON_CODES = {
    "duplicates.min_hash_distance": "quality.near_duplicate",
    "cloth.min_area_ratio": "cloth.too_small",
    "cloth.max_secondary_ratio": "cloth.multiple_garments",
    "cloth.max_border_touch_ratio": "cloth.cut_by_frame",
}
"""Reason codes that are not ``quality.<family>_<field>``: a near-duplicate is rejected for the photo it
duplicates, which the message names, more than for a distance; garment photo checks keep the cloth stage's
codes, which datasets built before they joined the quality family already carry."""
FAMILIES = ("image", "segment", "pose", "mask", "duplicates", "cloth")
"""The order in which thresholds are checked, so the first failure names the most basic defect: the
photo itself, then whether it shows one person cleanly separated, then the joints, then the mask.
"""
OWN_STEP_FAMILIES = ("duplicates", "cloth")
"""Families checked by their own step rather than the quality stage: duplicates at scan time over all
inputs, garment photos by the cloth stage before the garment is placed."""


@dataclass(frozen=True)
class Threshold:
    """One check: ``statistic`` must be ``>= value`` (direction ``min``) or ``<= value`` (``max``)."""

    family: str
    statistic: str
    """Full statistic name ``"<family>.<name>"`` as stored in ``sample.stats``."""
    direction: Literal["min", "max"]
    value: float
    reason_code: str
    """``"quality.<family>_<direction>_<name>"``: the field that failed (``REASON_CODES`` aside)."""

    def fails(self, stat: float) -> bool:
        """True when ``stat`` is outside the accepted side of the threshold."""
        return stat < self.value if self.direction == "min" else stat > self.value

    def rejection(self, stat: float) -> Rejection:
        relation = "below the minimum" if self.direction == "min" else "above the maximum"
        return Rejection(self.reason_code, f"{self.statistic} = {stat:.4g}, {relation} {self.value:.4g}")


def thresholds_from_quality(
    quality: QualityConfig | Mapping[str, Any], category: str | None = None
) -> list[Threshold]:
    """Every enabled threshold for ``category`` (its own blocks, else the shared ones), in check order.

    Accepts the model or its plain dict (``manifest["recipe"]["resolved"]["quality"]``);
    ``category=None`` gives the shared blocks. ``None`` values and fields
    without a ``min_`` / ``max_`` prefix are skipped.
    """
    model = quality if isinstance(quality, QualityConfig) else QualityConfig.model_validate(quality)
    plain = for_category(model, category).model_dump(mode="json")
    thresholds = []
    for family in FAMILIES:
        block = plain[family]
        for field, value in block.items():
            direction, _, name = field.partition("_")
            if direction not in ("min", "max") or not name or value is None:
                continue
            thresholds.append(
                Threshold(
                    family=family,
                    statistic=f"{family}.{name}",
                    direction=direction,
                    value=float(value),
                    reason_code=REASON_CODES.get(f"{family}.{field}", f"quality.{family}_{field}"),
                )
            )
    return thresholds


def failing(stats: Mapping[str, float], thresholds: list[Threshold]) -> list[Threshold]:
    """The thresholds ``stats`` fail, in order; a statistic that was not measured fails nothing."""
    return [t for t in thresholds if t.statistic in stats and t.fails(float(stats[t.statistic]))]
