"""The bundled Flux Fill try-on trainer (``vtondata train``) and its inference (``vtondata tryon``).

Importing this package loads diffusers and torch; ``vtondata`` itself does not import it.
"""

from vtondata.train.config import TrainRecipe, load_train_recipe, train_recipe_json_schema
from vtondata.train.flux_fill import FluxFillModels, TrainResult, load_models, train
from vtondata.train.tracking import StepRecord
from vtondata.train.tryon import TryOnModel, load_tryon_model, tryon, tryon_files

__all__ = [
    "FluxFillModels",
    "StepRecord",
    "TrainRecipe",
    "TrainResult",
    "TryOnModel",
    "load_models",
    "load_train_recipe",
    "load_tryon_model",
    "train",
    "train_recipe_json_schema",
    "tryon",
    "tryon_files",
]
