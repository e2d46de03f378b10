"""The report orders stages as the manifest records them, and as samples were timed when it does not."""

from __future__ import annotations

import pyarrow as pa

from vtondata.report.build import stage_order, stage_rank

TIMINGS = pa.map_(pa.string(), pa.float64())


def _table(rows: list[list[tuple[str, float]]]) -> pa.Table:
    return pa.table({"timings_s": pa.array(rows, type=TIMINGS)})


def test_the_manifest_order_wins() -> None:
    table = _table([[("encode", 1.0), ("ingest", 1.0)]])
    assert stage_order({"stages": ["ingest", "parse", "encode"]}, table) == ["ingest", "parse", "encode"]


def test_without_it_the_furthest_timing_position_orders_the_stages() -> None:
    rejected_early = [("ingest", 0.1), ("pose", 0.2)]
    went_all_the_way = [("ingest", 0.1), ("cloth", 0.1), ("pose", 0.2), ("encode", 0.1)]
    order = stage_order({}, _table([rejected_early, went_all_the_way, []]))
    assert order == ["ingest", "cloth", "pose", "encode"]


def test_a_stage_outside_the_order_follows_alphabetically() -> None:
    order = ["ingest", "encode"]
    assert sorted(["zeta", "encode", "alpha", "ingest"], key=lambda s: stage_rank(s, order)) == [
        "ingest",
        "encode",
        "alpha",
        "zeta",
    ]
