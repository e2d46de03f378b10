"""Histograms of one statistic as small PNG data URIs, with the threshold lines drawn on them.

PNG rather than SVG: a 30-bin chart is a few kilobytes whatever the number of
samples, and a raster image cannot carry script into the report. The
histogram is already binned in ``report.json``; this module only draws it,
so the chart and the JSON never disagree. Matplotlib's object API is used
(no ``pyplot``), which keeps no global figure state and needs no display.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

ACCEPTED_COLOUR = "#4c72b0"
REJECTED_COLOUR = "#dd8452"
THRESHOLD_COLOUR = "#c44e52"
SIZE_IN = (4.2, 2.2)
DPI = 80


def histogram_data_uri(statistic: dict[str, Any]) -> str | None:
    """``data:image/png;base64,...`` of the statistic's stacked histogram, or ``None`` when unmeasured.

    ``statistic`` is one entry of ``report.json``'s ``statistics``: accepted
    and rejected counts stacked, one dashed line per threshold, labelled
    ``min`` or ``max``.
    """
    histogram = statistic["histogram"]
    if histogram is None:
        return None
    edges = histogram["edges"]
    accepted = np.asarray(histogram["accepted"], dtype=float)
    stacked = accepted + np.asarray(histogram["rejected"], dtype=float)
    # Fixed margins and one step patch per series: a constrained layout and one rectangle per bin
    # cost ten times as much, and a report draws one chart per statistic.
    figure = Figure(figsize=SIZE_IN, dpi=DPI)
    figure.subplots_adjust(left=0.11, right=0.98, bottom=0.13, top=0.86)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.stairs(accepted, edges, fill=True, color=ACCEPTED_COLOUR, label="accepted")
    axes.stairs(stacked, edges, baseline=accepted, fill=True, color=REJECTED_COLOUR, label="rejected")
    for threshold in statistic["thresholds"]:
        axes.axvline(threshold["value"], color=THRESHOLD_COLOUR, linestyle="--", linewidth=1.5)
        axes.annotate(
            f"{threshold['direction']} {threshold['value']:.4g}",
            (threshold["value"], 1.0),
            xycoords=("data", "axes fraction"),
            fontsize=7,
            color=THRESHOLD_COLOUR,
            ha="left",
            va="top",
        )
    axes.set_title(statistic["name"], fontsize=9)
    axes.tick_params(labelsize=7)
    axes.legend(fontsize=6, frameon=False, loc="upper right")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
