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


@pytest.mark.parametrize("name", ["flux-fill", "flux-fill-full"])
def test_every_bundled_train_recipe_validates(name):
    raw = yaml.safe_load((train_recipes_dir() / f"{name}.yaml").read_text())
    jsonschema.validate(raw, train_recipe_json_schema())
    assert load_train_recipe(name).name == name


def test_full_recipe_keeps_bfloat16_weights_and_auto_picks_adafactor_for_full_mode():
    assert load_train_recipe("flux-fill-full").optimizer == "adafactor_bf16"
    assert load_train_recipe("flux-fill", {"training.mode": "full"}).optimizer == "adafactor_bf16"
    assert load_train_recipe("flux-fill").optimizer == "adamw"
    with pytest.raises(RecipeError, match=r"adamw_bf16 needs training.mixed_precision bf16"):
        load_train_recipe("flux-fill", {"optim.optimizer": "adamw_bf16", "training.mixed_precision": "fp16"})


@pytest.mark.parametrize("name", ["ddp-8gpu", "deepspeed-zero2-8gpu"])
def test_shipped_accelerate_configs_load_for_eight_bf16_processes(name):
    from accelerate.commands.config.config_args import load_config_from_file

    config = load_config_from_file(str(train_recipes_dir() / "accelerate" / f"{name}.yaml"))
    assert config.num_processes == 8 and config.mixed_precision == "bf16"
