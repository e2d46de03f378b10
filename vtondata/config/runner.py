"""Recipe section ``runner``: where the stages execute."""

from typing import Literal

from pydantic import Field

from vtondata.config.base import RecipeModel


class RunnerConfig(RecipeModel):
    kind: Literal["auto", "local", "ray"] = Field(
        default="auto",
        description=(
            "'auto' picks 'local' for small runs (fewer than ray_min_inputs inputs) and on small "
            "machines (fewer than ray_min_cpus CPUs), and 'ray' otherwise or when an address is given; "
            "'ray' streams stages over a Ray cluster (local by default); 'local' runs in-process."
        ),
    )
    ray_min_inputs: int = Field(
        default=500,
        ge=1,
        description=(
            "With kind 'auto', the fewest inputs worth starting Ray for: below it Ray's start-up and "
            "per-worker model loading cost more than they save."
        ),
    )
    ray_min_cpus: int = Field(
        default=3,
        ge=1,
        description=(
            "With kind 'auto', the fewest CPUs worth starting Ray for: the local runner's stage threads "
            "already keep two cores busy, and on two it was faster than Ray at 200 and 1,000 inputs "
            "(docs/runners.md)."
        ),
    )
    workers: int | None = Field(
        default=None,
        ge=1,
        description=(
            "Parallel workers per model stage: Ray actors (None = one per CPU core), or on the local "
            "runner instances of each model stage on the CPU, in threads of their own (None = two)."
        ),
    )
    batch_threads: int | None = Field(
        default=None,
        ge=1,
        description=(
            "Local runner: threads that run the batches of the stages without a model (ingest, quality, "
            "mask, encode) at once; None = half the CPUs, which is one thread per stage on two cores "
            "(docs/runners.md)."
        ),
    )
    address: str | None = Field(default=None, description="Ray cluster address; None starts a local Ray.")
    object_store_mb: int = Field(
        default=1024, ge=128, description="Object store cap for a local Ray (small machines need one)."
    )
