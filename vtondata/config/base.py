"""The base every recipe model derives from: strict, frozen, self-documenting."""

from pydantic import BaseModel, ConfigDict


class RecipeModel(BaseModel):
    """Unknown keys fail (with the recipe loader's close-match hint); values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)
