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

from vtondata.config.quality import QualityConfig
from vtondata.sample import Rejection

FAMILIES = ("image", "segment", "pose", "mask", "duplicates")
"""The order in which thresholds are checked, so the first failure names the most basic defect: the
photo itself, then whether it shows one person cleanly separated, then the joints, then the mask."""


@dataclass(frozen=True)
class Threshold:
    """One check: ``statistic`` must be ``>= value`` (direction ``min``) or ``<= value`` (``max``)."""

    family: str
    statistic: str
    """Full statistic name ``"<family>.<name>"`` as stored in ``sample.stats``."""
    direction: Literal["min", "max"]
    value: float
    reason_code: str
    """``"quality.<family>_<direction>_<name>"``: the field that failed."""

    def fails(self, stat: float) -> bool:
        """True when ``stat`` is outside the accepted side of the threshold."""
        return stat < self.value if self.direction == "min" else stat > self.value

    def rejection(self, stat: float) -> Rejection:
        relation = "below the minimum" if self.direction == "min" else "above the maximum"
        return Rejection(self.reason_code, f"{self.statistic} = {stat:.4g}, {relation} {self.value:.4g}")


def thresholds_from_quality(quality: QualityConfig | Mapping[str, Any]) -> list[Threshold]:
    """Every enabled threshold, in block order then field order.

    Accepts the model or its plain dict (``manifest["recipe"]["resolved"]["quality"]``);
    ``None`` values and fields without a ``min_`` / ``max_`` prefix are skipped.
    """
    plain = quality.model_dump(mode="json") if isinstance(quality, QualityConfig) else quality
    families = [name for name in FAMILIES if name in plain] + [name for name in plain if name not in FAMILIES]
    thresholds = []
    for family in families:
        block = plain[family] or {}
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
                    reason_code=f"quality.{family}_{field}",
                )
            )
    return thresholds


def failing(stats: Mapping[str, float], thresholds: list[Threshold]) -> list[Threshold]:
    """The thresholds ``stats`` fail, in order; a statistic that was not measured fails nothing."""
    return [t for t in thresholds if t.statistic in stats and t.fails(float(stats[t.statistic]))]


def decide(stats: Mapping[str, float], thresholds: list[Threshold]) -> Rejection | None:
    """The first failing threshold as a rejection, or ``None`` when every check passes."""
    failed = failing(stats, thresholds)
    return failed[0].rejection(float(stats[failed[0].statistic])) if failed else None
