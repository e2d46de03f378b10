"""How many workers each stage gets and what each asks of Ray, as plain arithmetic.

Kept apart from :mod:`vtondata.runners.ray` so it can be read and tested
without Ray. Model stages whose backend was placed on a GPU (``num_gpus > 0``
in their :class:`~vtondata.stages.base.Resources`, decided where the backend
was built) become actors that request a GPU share: one actor per GPU and
stage by default, and a fraction of a GPU when several model stages share the
cluster's GPUs, so that every GPU actor fits at once. Model stages on the CPU
get ``workers`` actors (default: one per CPU). Every actor plus one task slot
must fit in the CPUs at once, or Ray Data waits forever for CPUs that actors
hold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from vtondata.errors import RecipeError
from vtondata.stages.base import Resources

GPU_SHARE_UNITS = 10_000
"""Ray keeps resource amounts to four decimals; shares are rounded down to 1/10,000 so they fit."""


@dataclass(frozen=True)
class Placement:
    """What one stage asks of Ray: ``actors`` (0 = a task pool), CPUs and GPUs per worker, threads."""

    actors: int
    num_cpus: float
    num_gpus: float
    threads: int


def place_stages(
    resources: Sequence[Resources], *, cpus: int, gpus: float, workers: int | None
) -> list[Placement]:
    """One :class:`Placement` per stage, in order.

    Raises :class:`RecipeError` when a stage was placed on a GPU but the
    cluster declares none: Ray would otherwise wait for it forever.
    """
    cpus = max(1, cpus)
    gpu_stages = sum(1 for r in resources if r.stateful and r.num_gpus > 0)
    if gpu_stages and gpus <= 0:
        raise RecipeError(
            f"{gpu_stages} model stage(s) were placed on a GPU, but the Ray cluster declares no GPU; "
            "set device: cpu in the recipe or use a cluster with GPUs"
        )
    gpu_actors_per_stage = (workers or max(1, math.floor(gpus))) if gpu_stages else 0
    cpu_actors_per_stage = workers or cpus
    actors = [
        (gpu_actors_per_stage if r.num_gpus > 0 else cpu_actors_per_stage) if r.stateful else 0
        for r in resources
    ]
    all_actors = sum(actors)
    actor_cpus = cpus / (all_actors + 1) if all_actors else 1.0
    threads = max(1, cpus // max(1, all_actors))
    gpu_share = 0.0
    if gpu_stages:
        share = min(1.0, gpus / (gpu_stages * gpu_actors_per_stage))
        gpu_share = math.floor(share * GPU_SHARE_UNITS) / GPU_SHARE_UNITS
    return [
        Placement(
            actors=count,
            num_cpus=min(r.num_cpus, actor_cpus),
            num_gpus=gpu_share if r.stateful and r.num_gpus > 0 else 0.0,
            threads=threads,
        )
        for r, count in zip(resources, actors, strict=True)
    ]
