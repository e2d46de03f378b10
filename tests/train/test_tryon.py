"""`vtondata train` then `vtondata tryon` end to end, with a tiny FLUX Fill saved in diffusers layout."""

import numpy as np
import pytest
import yaml
from PIL import Image
from typer.testing import CliRunner

from tests.train.tiny import HALF_WIDTH_PX, HEIGHT_PX, tiny_recipe
from vtondata.cli import app


@pytest.mark.parametrize("mode", ["lora", "attention"])
def test_train_then_tryon_from_the_command_line(shards, tiny_base, tmp_path, mode):
    recipe = tiny_recipe(**{"training.mode": mode, "training.steps": 2, "model.path": str(tiny_base)})
    recipe_path = tmp_path / "train.yaml"
    recipe_path.write_text(yaml.safe_dump(recipe.model_dump(mode="json")))
    run = tmp_path / "run"
    runner = CliRunner()
    trained = runner.invoke(
        app,
        [
            "train",
            str(shards),
            "--output",
            str(run),
            "--recipe",
            str(recipe_path),
            "--set",
            "training.seed=3",
        ],
    )
    assert trained.exit_code == 0, trained.output
    assert (run / "prompt_embeds.safetensors").is_file(), "prompt encoded by the tiny text encoders"

    rng = np.random.default_rng(0)
    person, garment, mask = tmp_path / "person.jpg", tmp_path / "garment.jpg", tmp_path / "mask.png"
    Image.fromarray(rng.integers(0, 256, (64, 48, 3), dtype=np.uint8)).save(person)
    Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(garment)
    Image.fromarray(((rng.random((64, 48)) > 0.5) * 255).astype(np.uint8)).save(mask)
    out = tmp_path / "out.png"
    arguments = ["--person", person, "--garment", garment, "--mask", mask, "--weights", run, "--output", out]
    result = runner.invoke(app, ["tryon", *map(str, arguments), "--steps", "2"])
    assert result.exit_code == 0, result.output
    assert Image.open(out).size == (HALF_WIDTH_PX, HEIGHT_PX)


def test_tryon_without_a_run_is_an_input_error(tmp_path):
    result = CliRunner().invoke(
        app,
        ["tryon", "--person", "p.jpg", "--garment", "g.jpg", "--weights", str(tmp_path), "--output", "o.png"],
    )
    assert result.exit_code == 3 and "training run" in " ".join(result.output.split())
