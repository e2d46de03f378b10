"""Which inputs the report looks at: the gallery's samples and the accepted samples read for form leakage.

A run small enough is shown whole. Beyond ``ReportLimits.gallery_samples``
inputs, the gallery is an even sample: every group (the accepted samples and
each rejection reason) keeps at least ``min_per_reason`` members (fewer only
when there are more groups than that allows), the rest of the room is shared
in proportion to the groups' sizes, and within a group the members are
evenly spaced in input order. So a rare rejection reason is never sampled
away, and the page says how many of how many it shows.

Form leakage reads at most ``ReportLimits.leakage_samples`` accepted
samples, evenly spaced, so its cost is bounded whatever the run size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

ACCEPTED_GROUP = ""
"""Group name of accepted samples (a reason code is never empty)."""


@dataclass(frozen=True)
class Selection:
    """Row positions in index order: ``gallery`` (shown on the page), ``leakage`` (accepted, for forms)."""

    gallery: list[int]
    leakage: list[int]

    def sampled(self, inputs: int) -> bool:
        return len(self.gallery) < inputs


def select(
    reasons: Sequence[str | None], gallery_samples: int, min_per_reason: int, leakage_samples: int
) -> Selection:
    """The gallery and leakage rows for an index whose reason codes are ``reasons`` (``None`` = accepted)."""
    groups: dict[str, list[int]] = {}
    for position, code in enumerate(reasons):
        groups.setdefault(code or ACCEPTED_GROUP, []).append(position)
    quotas = _quotas(
        {name: len(members) for name, members in groups.items()}, gallery_samples, min_per_reason
    )
    gallery = sorted(
        position for name, members in groups.items() for position in evenly(members, quotas[name])
    )
    return Selection(gallery=gallery, leakage=evenly(groups.get(ACCEPTED_GROUP, []), leakage_samples))


def evenly(items: Sequence[int], count: int) -> list[int]:
    """``count`` of ``items`` evenly spaced, first and last included (all when ``count`` >= their number)."""
    if count >= len(items):
        return list(items)
    if count <= 0:
        return []
    picks = np.linspace(0, len(items) - 1, count).round().astype(int)
    return [items[i] for i in picks]


def _quotas(sizes: dict[str, int], limit: int, min_per_group: int) -> dict[str, int]:
    """How many members of each group the gallery shows, ``limit`` in all (module docstring)."""
    if sum(sizes.values()) <= limit:
        return dict(sizes)
    by_size = sorted(sizes, key=lambda name: (-sizes[name], name))
    floor = max(1, min(min_per_group, limit // len(sizes)))
    quotas = {name: 0 for name in sizes}
    for name in by_size[:limit]:  # more groups than room: the largest get one each
        quotas[name] = min(sizes[name], floor)
    spare = limit - sum(quotas.values())
    rest = {name: sizes[name] - quotas[name] for name in sizes}
    total_rest = sum(rest.values())
    if spare <= 0 or total_rest == 0:
        return quotas
    for name in sizes:
        quotas[name] += spare * rest[name] // total_rest
    leftover = limit - sum(quotas.values())
    for name in sorted(sizes, key=lambda name: (-(sizes[name] - quotas[name]), name)):
        if leftover == 0:
            break
        if quotas[name] < sizes[name]:
            quotas[name] += 1
            leftover -= 1
    return quotas
