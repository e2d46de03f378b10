"""Train recipes: the bundled YAML, the generated JSON Schema, overrides and per-field errors."""

import json

import jsonschema
import pytest
import yaml

from vtondata.errors import RecipeError
from vtondata.schemas import schemas_dir
from vtondata.train.config import load_train_recipe, train_recipe_json_schema, train_recipes_dir


def test_schema_file_matches_the_models():
    on_disk = json.loads((schemas_dir() / "train.schema.json").read_text())
    assert on_disk == train_recipe_json_schema(), "regenerate schemas/train.schema.json from TrainRecipe"


def test_bundled_recipe_validates_against_model_and_schema():
    recipe = load_train_recipe("flux-fill")
    assert recipe.training.mode == "lora" and recipe.canvas.half_width_px == 576
    raw = yaml.safe_load((train_recipes_dir() / "flux-fill.yaml").read_text())
    jsonschema.validate(raw, train_recipe_json_schema())


def test_overrides_are_yaml_scalars():
    recipe = load_train_recipe("flux-fill", {"training.steps": "200", "lora.target_modules": "[to_q, to_k]"})
    assert recipe.training.steps == 200 and recipe.lora.target_modules == ["to_q", "to_k"]


def test_unknown_key_suggests_the_close_one():
    with pytest.raises(RecipeError, match=r"training\.stesp: unknown key \(did you mean 'steps'\?\)"):
        load_train_recipe("flux-fill", {"training.stesp": "3"})


def test_canvas_size_must_be_a_multiple_of_16():
    with pytest.raises(RecipeError, match=r"canvas\.half_width_px: Input should be a multiple of 16"):
        load_train_recipe("flux-fill", {"canvas.half_width_px": "500"})


def test_unknown_mode_lists_the_allowed_ones():
    with pytest.raises(RecipeError, match=r"training\.mode: Input should be 'attention', 'full' or 'lora'"):
        load_train_recipe("flux-fill", {"training.mode": "dora"})
