"""Recipes: the bundled YAML files, the generated JSON Schema, and loader errors."""

import jsonschema
import pytest
import yaml

from vtondata.config import (
    Recipe,
    bundled_recipes,
    load_recipe,
    pipelines_dir,
    recipe_json_schema,
    recipe_sha256,
)
from vtondata.errors import RecipeError
from vtondata.schemas import load_schema


def test_schema_file_matches_the_models():
    assert load_schema("pipeline") == recipe_json_schema(), "run `python scripts/write-schemas.py`"


@pytest.mark.parametrize("name", bundled_recipes())
def test_every_bundled_recipe_validates_against_model_and_schema(name):
    recipe = load_recipe(name)
    assert isinstance(recipe, Recipe)
    raw = yaml.safe_load((pipelines_dir() / f"{name}.yaml").read_text())
    jsonschema.validate(raw, recipe_json_schema())


def test_bundled_recipes_include_default_and_offline():
    assert {"default", "offline"} <= set(bundled_recipes())


def test_overrides_are_parsed_as_yaml_scalars_and_change_the_hash():
    base = load_recipe("offline")
    changed = load_recipe("offline", {"output.chunk_size": "16", "pose.min_person_score": 0.5})
    assert changed.output.chunk_size == 16
    assert changed.pose.min_person_score == 0.5
    assert recipe_sha256(changed) != recipe_sha256(base)
    assert recipe_sha256(load_recipe("offline")) == recipe_sha256(base)


def test_unknown_key_names_the_field_and_suggests_the_close_one():
    with pytest.raises(RecipeError) as error:
        load_recipe("offline", {"pose.refine_face_landmark": "true"})
    expected = "pose.refine_face_landmark: unknown key (did you mean 'refine_face_landmarks'?)"
    assert expected in str(error.value)


def test_unknown_backend_lists_the_allowed_values():
    with pytest.raises(RecipeError) as error:
        load_recipe("offline", {"pose.backend": "sam3"})
    message = str(error.value)
    assert "pose" in message and "'yolo'" in message and "'mediapipe'" in message


def test_out_of_range_value_is_reported_per_field():
    with pytest.raises(RecipeError, match=r"output\.chunk_size: Input should be greater than or equal to 1"):
        load_recipe("offline", {"output.chunk_size": "0"})


def test_unknown_recipe_name_suggests_a_bundled_one():
    with pytest.raises(RecipeError, match="did you mean 'offline'"):
        load_recipe("ofline")


def test_recipe_file_by_path(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(
        yaml.safe_dump(
            {"name": "mine", "pose": {"backend": "mediapipe"}, "segment": {"backend": "mediapipe"}}
        )
    )
    recipe = load_recipe(path)
    assert recipe.name == "mine" and recipe.output.chunk_size == 64


def test_invalid_yaml_is_a_recipe_error(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: [unclosed\n")
    with pytest.raises(RecipeError, match="not valid YAML"):
        load_recipe(path)
