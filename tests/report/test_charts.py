"""The histogram layout: bars, stacks, threshold lines and ticks in chart pixels."""

from __future__ import annotations

import pytest

from vtondata.report.charts import histogram_chart, nice_ticks


def _statistic(accepted, rejected, thresholds=()):
    edges = [float(edge) for edge in range(len(accepted) + 1)]
    return {
        "name": "mask.area_ratio",
        "histogram": {"edges": edges, "accepted": accepted, "rejected": rejected},
        "thresholds": [{"direction": d, "value": v} for d, v in thresholds],
    }


def test_an_unmeasured_statistic_has_no_chart():
    assert histogram_chart({"name": "pose.x", "histogram": None, "thresholds": []}) is None


def test_bar_heights_follow_the_counts_and_rejected_stack_on_accepted():
    chart = histogram_chart(_statistic([4, 0, 2, 1], [0, 3, 2, 0]))
    assert chart is not None
    plot_bottom = chart.plot.y + chart.plot.height
    assert len(chart.accepted) == 3 and len(chart.rejected) == 2  # empty bins draw nothing
    heights = {bar.x: bar.height for bar in chart.accepted}
    first, third, fourth = sorted(heights)
    assert heights[first] == pytest.approx(2 * heights[third], abs=0.02)
    assert heights[third] == pytest.approx(2 * heights[fourth], abs=0.02)
    for bar in chart.accepted:
        assert bar.y + bar.height == pytest.approx(plot_bottom, abs=0.02)
    accepted_top = {bar.x: bar.y for bar in chart.accepted}
    for bar in chart.rejected:
        base = accepted_top.get(bar.x, plot_bottom)
        assert bar.y + bar.height == pytest.approx(base, abs=0.02)
    widths = {round(bar.width, 1) for bar in chart.accepted + chart.rejected}
    assert len(widths) == 1 and widths.pop() == pytest.approx(chart.plot.width / 4, abs=0.1)


def test_the_count_axis_ends_on_a_tick_above_the_highest_stack():
    chart = histogram_chart(_statistic([7, 30], [0, 3]))
    assert chart is not None
    assert [tick.label for tick in chart.y_ticks] == ["0", "10", "20", "30", "40"]
    tallest = min(bar.y for bar in chart.rejected)
    assert tallest > chart.plot.y  # 33 of 40: below the top
    assert chart.y_ticks[-1].position == pytest.approx(chart.plot.y)


def test_threshold_lines_sit_at_their_value_and_are_labelled():
    chart = histogram_chart(_statistic([1, 1, 1, 1], [0, 0, 0, 0], [("min", 1.0), ("max", 3.5)]))
    assert chart is not None
    lines = {line.label: line.x for line in chart.thresholds}
    assert set(lines) == {"min 1", "max 3.5"}
    assert lines["min 1"] == pytest.approx(chart.plot.x + chart.plot.width / 4, abs=0.02)
    assert lines["max 3.5"] == pytest.approx(chart.plot.x + chart.plot.width * 3.5 / 4, abs=0.02)


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0, 33, [0, 10, 20, 30, 40]),
        (0.2, 0.9, [0.2, 0.4, 0.6, 0.8, 1.0]),
        (-0.5, 0.5, [-0.4, -0.2, 0.0, 0.2, 0.4, 0.6]),
        (740, 800, [740, 760, 780, 800]),
        (3, 3, [3]),
    ],
)
def test_ticks_are_round_steps_covering_the_range(low, high, expected):
    assert nice_ticks(low, high) == pytest.approx(expected)
