"""Recipe section ``runner``: where the stages execute."""

from typing import Literal

from pydantic import Field

from vtondata.config.base import RecipeModel


class RunnerConfig(RecipeModel):
    kind: Literal["local", "ray"] = Field(
        "ray",
        description="'ray' streams stages over a Ray cluster (local by default); 'local' runs in-process.",
    )
    workers: int | None = Field(
        None, ge=1, description="Parallel workers per model stage; None = one per CPU core."
    )
    address: str | None = Field(None, description="Ray cluster address; None starts a local Ray.")
    object_store_mb: int = Field(
        1024, ge=128, description="Object store cap for a local Ray (small machines need one)."
    )
