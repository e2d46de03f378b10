"""Which inputs the gallery shows and which accepted samples form leakage reads, on hand-made indexes."""

from __future__ import annotations

from collections import Counter

import numpy as np

from vtondata.report.selection import evenly, select


def _index(groups: dict[str | None, int]) -> list[str | None]:
    """Reason codes of an index whose groups are interleaved, as real runs are."""
    codes = [code for code, size in groups.items() for _ in range(size)]
    order = np.random.default_rng(0).permutation(len(codes))
    return [codes[i] for i in order]


def test_a_small_run_is_shown_whole():
    reasons = _index({None: 40, "pose.no_person": 3})
    selection = select(reasons, gallery_samples=100, min_per_reason=24, leakage_samples=100)
    assert selection.gallery == list(range(43)) and not selection.sampled(43)
    assert selection.leakage == [i for i, code in enumerate(reasons) if code is None]


def test_a_large_run_is_sampled_evenly_and_keeps_every_reason():
    groups = {None: 9_000, "quality.blur": 900, "pose.no_person": 95, "ingest.truncated": 5}
    reasons = _index(groups)
    selection = select(reasons, gallery_samples=2_000, min_per_reason=24, leakage_samples=500)
    assert len(selection.gallery) == 2_000 and selection.sampled(len(reasons))
    assert selection.gallery == sorted(set(selection.gallery)), "input order, no repeats"
    shown = Counter(reasons[i] for i in selection.gallery)
    assert shown["ingest.truncated"] == 5, "a rare reason is shown whole"
    assert shown["pose.no_person"] >= 24
    assert shown[None] > shown["quality.blur"] > shown["pose.no_person"], "the rest in proportion"
    accepted = [i for i, code in enumerate(reasons) if code is None]
    shown_accepted = [i for i in selection.gallery if reasons[i] is None]
    ranks = np.searchsorted(accepted, shown_accepted)
    assert ranks[0] == 0 and ranks[-1] == len(accepted) - 1
    assert np.ptp(np.diff(ranks)) <= 1, "evenly spaced among the accepted samples"
    assert len(selection.leakage) == 500 and all(reasons[i] is None for i in selection.leakage)


def test_more_reasons_than_room_show_the_largest_groups_once():
    groups = {f"pose.reason_{n:02d}": 10 + n for n in range(50)}
    reasons = _index(groups)
    selection = select(reasons, gallery_samples=20, min_per_reason=24, leakage_samples=10)
    shown = Counter(reasons[i] for i in selection.gallery)
    assert len(selection.gallery) == 20 and set(shown.values()) == {1}
    assert set(shown) == {f"pose.reason_{n:02d}" for n in range(30, 50)}
    assert selection.leakage == []


def test_evenly_keeps_first_and_last():
    assert evenly(list(range(10)), 4) == [0, 3, 6, 9]
    assert evenly([5, 6], 10) == [5, 6]
    assert evenly([1, 2, 3], 0) == []
