"""Which runner a build uses, and why, decided once before any image is read.

Ray pays off only when there is enough work to cover its start-up (about 3 s
for a local Ray) and the model loading of every actor, and more CPUs than the
local runner can use: its stage threads (:mod:`vtondata.runners.overlap`)
already keep two cores busy. Smaller runs and small machines go in-process
unless the caller asks for Ray by name or by cluster address.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from vtondata.config.runner import RunnerConfig
from vtondata.errors import RecipeError


@dataclass(frozen=True)
class RunnerChoice:
    """``kind`` is ``"local"`` or ``"ray"``; ``reason`` says why, for the build summary."""

    kind: str
    reason: str


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask, not the machine's total)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def choose_runner(
    requested: str | None,
    config: RunnerConfig,
    inputs: int,
    ray_address: str | None = None,
    cpus: int | None = None,
) -> RunnerChoice:
    """Resolve ``requested`` (the caller's ``--runner``) and the recipe's ``runner`` section.

    An explicit ``local`` or ``ray`` (from the caller, else the recipe) wins;
    a cluster address means Ray; otherwise ``auto`` runs Ray only for at least
    ``config.ray_min_inputs`` inputs on at least ``config.ray_min_cpus`` CPUs.
    """
    kind = requested or config.kind
    if kind not in {"auto", "local", "ray"}:
        raise RecipeError(f"unknown runner '{kind}': use 'auto', 'local' or 'ray'")
    if kind != "auto":
        source = "--runner" if requested else "recipe runner.kind"
        return RunnerChoice(kind, f"{source} {kind}")
    if ray_address or config.address:
        return RunnerChoice("ray", "a Ray cluster address was given")
    if inputs < config.ray_min_inputs:
        threshold = config.ray_min_inputs
        return RunnerChoice("local", f"auto: {inputs} inputs < runner.ray_min_inputs {threshold}")
    cpus = available_cpus() if cpus is None else cpus
    if cpus < config.ray_min_cpus:
        shown = "one CPU" if cpus == 1 else f"{cpus} CPUs"
        return RunnerChoice("local", f"auto: {shown} < runner.ray_min_cpus {config.ray_min_cpus}")
    return RunnerChoice("ray", f"auto: {inputs} inputs on {cpus} CPUs")
