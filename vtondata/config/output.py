"""Recipe section ``output``: how samples are grouped into shards."""

from pydantic import Field

from vtondata.config.base import RecipeModel


class OutputConfig(RecipeModel):
    split: str = Field(default="train", pattern=r"^[a-z0-9_]+$", description="Shard name prefix.")
    chunk_size: int = Field(
        default=64,
        ge=1,
        description=(
            "Most inputs per chunk (chunks are as even as the count allows); "
            "one chunk becomes one shard and one index file."
        ),
    )
    agnostic_grey_rgb: tuple[int, int, int] = Field(
        default=(128, 128, 128), description="Colour painted over the mask in agnostic.jpg."
    )
