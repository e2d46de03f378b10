"""Histograms of one statistic laid out for inline SVG, with the threshold lines drawn on them.

The histogram is already binned in ``report.json``; this module only turns
its edges and counts into pixel coordinates (bars, ticks, threshold lines),
and ``templates/histogram.svg.j2`` draws them, so the chart and the JSON
never disagree. Inline SVG rather than a rendered image: a report draws one
chart per statistic, and drawing 46 of them with a plotting library took
seconds of every build whatever its size, where laying them out takes
milliseconds. The page's content-security policy allows no script, and
every text in a chart goes through the template's autoescaping.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

WIDTH_PX = 336
HEIGHT_PX = 176
PLOT_LEFT_PX = 38
PLOT_RIGHT_PX = 8
PLOT_TOP_PX = 24
PLOT_BOTTOM_PX = 20
TICKS = 5
"""About how many ticks each axis gets; the step is 1, 2 or 5 times a power of ten."""


@dataclass(frozen=True)
class Bar:
    """One rectangle, in chart pixels (origin top left)."""

    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Tick:
    """A tick at ``position`` px along its axis, with its label."""

    position: float
    label: str


@dataclass(frozen=True)
class ThresholdLine:
    """A threshold's dashed line at ``x`` px, labelled ``min 0.3`` or ``max 12``."""

    x: float
    label: str


@dataclass(frozen=True)
class HistogramChart:
    """Everything the template draws for one statistic; ``plot`` is the axes' box."""

    title: str
    width: int
    height: int
    plot: Bar
    accepted: list[Bar]
    rejected: list[Bar]
    thresholds: list[ThresholdLine]
    x_ticks: list[Tick]
    y_ticks: list[Tick]


def histogram_chart(statistic: dict[str, Any]) -> HistogramChart | None:
    """The chart of one entry of ``report.json``'s ``statistics``, or ``None`` when it was not measured.

    Accepted counts are the lower bars, rejected counts stacked on them; one
    dashed line per threshold. The count axis starts at 0 and ends at a tick
    at or above the highest stack.
    """
    histogram = statistic["histogram"]
    if histogram is None:
        return None
    edges = [float(edge) for edge in histogram["edges"]]
    accepted = [int(count) for count in histogram["accepted"]]
    rejected = [int(count) for count in histogram["rejected"]]
    plot = Bar(
        x=PLOT_LEFT_PX,
        y=PLOT_TOP_PX,
        width=WIDTH_PX - PLOT_LEFT_PX - PLOT_RIGHT_PX,
        height=HEIGHT_PX - PLOT_TOP_PX - PLOT_BOTTOM_PX,
    )
    low, high = edges[0], edges[-1]
    highest = max([a + r for a, r in zip(accepted, rejected, strict=True)] + [1])
    count_ticks = nice_ticks(0, highest)
    top = max(count_ticks[-1], highest)

    def x_of(value: float) -> float:
        share = (value - low) / (high - low) if high > low else 0.5
        return round(plot.x + min(1.0, max(0.0, share)) * plot.width, 2)

    def y_of(count: float) -> float:
        return round(plot.y + plot.height * (1 - count / top), 2)

    def bars(lower: list[int], upper: list[int]) -> list[Bar]:
        drawn = []
        for position, (base, count) in enumerate(zip(lower, upper, strict=True)):
            if count <= 0:
                continue
            left, right = x_of(edges[position]), x_of(edges[position + 1])
            y_top, y_base = y_of(base + count), y_of(base)
            drawn.append(Bar(x=left, y=y_top, width=round(right - left, 2), height=round(y_base - y_top, 2)))
        return drawn

    return HistogramChart(
        title=statistic["name"],
        width=WIDTH_PX,
        height=HEIGHT_PX,
        plot=plot,
        accepted=bars([0] * len(accepted), accepted),
        rejected=bars(accepted, rejected),
        thresholds=[
            ThresholdLine(x=x_of(t["value"]), label=f"{t['direction']} {t['value']:.4g}")
            for t in statistic["thresholds"]
        ],
        x_ticks=[
            Tick(x_of(value), f"{value:.4g}") for value in nice_ticks(low, high) if low <= value <= high
        ],
        y_ticks=[Tick(y_of(value), f"{value:.4g}") for value in count_ticks if value <= top],
    )


def nice_ticks(low: float, high: float, count: int = TICKS) -> list[float]:
    """About ``count`` round values a step of 1, 2 or 5 times a power of ten apart, from the first at
    or above ``low`` to the first at or above ``high``; ``[low]`` when the range is empty."""
    span = high - low
    if not span > 0 or not math.isfinite(span):
        return [low]
    rough = span / count
    magnitude = 10 ** math.floor(math.log10(rough))
    step = next(factor * magnitude for factor in (1, 2, 5, 10) if factor * magnitude >= rough)
    first = math.ceil(low / step - 1e-9)
    last = math.floor(high / step + 1e-9)
    ticks = [round(number * step, 12) for number in range(first, last + 1)]
    if ticks and ticks[-1] < high:
        ticks.append(round((last + 1) * step, 12))
    return ticks
