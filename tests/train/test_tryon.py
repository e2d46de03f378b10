"""`vtondata train` then `vtondata tryon` end to end, with a tiny FLUX Fill saved in diffusers layout."""

import numpy as np
import pytest
import torch
import yaml
from PIL import Image
from typer.testing import CliRunner

from tests.train.tiny import HALF_WIDTH_PX, HEIGHT_PX, random_prompt_cache, tiny_recipe
from vtondata.cli import app
from vtondata.train.canvas import compose, fit, to_signed
from vtondata.train.flux_fill import render_tryon
from vtondata.train.tryon import paste_back


def _photo(rng, height, width):
    return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)


def _train(tmp_path, shards, tiny_base, mode):
    recipe = tiny_recipe(**{"training.mode": mode, "training.steps": 2, "model.path": str(tiny_base)})
    recipe_path = tmp_path / "train.yaml"
    recipe_path.write_text(yaml.safe_dump(recipe.model_dump(mode="json")))
    run = tmp_path / "run"
    arguments = [
        "train",
        str(shards),
        "--output",
        str(run),
        "--recipe",
        str(recipe_path),
        "--set",
        "training.seed=3",
    ]
    trained = CliRunner().invoke(app, arguments)
    assert trained.exit_code == 0, trained.output
    progress = " ".join(trained.output.split())
    assert "train" in progress and "2/2 loss" in progress and "steps/s" in progress, "the progress bar"
    assert (run / "prompt_embeds.safetensors").is_file(), "prompt encoded by the tiny text encoders"
    return run


@pytest.mark.parametrize("mode", ["lora", "attention"])
def test_train_then_tryon_from_the_command_line(shards, tiny_base, tmp_path, mode):
    run = _train(tmp_path, shards, tiny_base, mode)
    rng = np.random.default_rng(0)
    person, garment, mask = tmp_path / "person.png", tmp_path / "garment.jpg", tmp_path / "mask.png"
    person_rgb = _photo(rng, 64, 40)
    Image.fromarray(person_rgb).save(person)
    Image.fromarray(_photo(rng, 40, 40)).save(garment)
    mask_u8 = np.zeros((64, 40), np.uint8)
    mask_u8[16:48, 8:32] = 255
    Image.fromarray(mask_u8).save(mask)

    def tryon(out, *options):
        arguments = [
            "--person",
            person,
            "--garment",
            garment,
            "--mask",
            mask,
            "--weights",
            run,
            "--output",
            out,
        ]
        result = CliRunner().invoke(app, ["tryon", *map(str, arguments), "--steps", "2", *options])
        assert result.exit_code == 0, result.output
        return np.asarray(Image.open(out))

    first = tryon(tmp_path / "a.png", "--seed", "1", "--guidance", "3.5")
    assert first.shape == person_rgb.shape, "the photo comes back at its own size"
    assert np.array_equal(first[mask_u8 == 0], person_rgb[mask_u8 == 0]), "unmasked pixels are the photo's"
    assert not np.array_equal(first[mask_u8 > 0], person_rgb[mask_u8 > 0]), "masked pixels are repainted"
    assert np.array_equal(tryon(tmp_path / "b.png", "--seed", "1", "--guidance", "3.5"), first)
    assert not np.array_equal(tryon(tmp_path / "c.png", "--seed", "2", "--guidance", "3.5"), first)


def test_tryon_without_a_run_is_an_input_error(tmp_path):
    result = CliRunner().invoke(
        app,
        ["tryon", "--person", "p.jpg", "--garment", "g.jpg", "--weights", str(tmp_path), "--output", "o.png"],
    )
    assert result.exit_code == 3 and "training run" in " ".join(result.output.split())


class _HalvesPipeline:
    """Stands in for FluxFillPipeline: returns a canvas whose garment half is red and person half blue."""

    def __init__(self) -> None:
        self.transformer = type("Transformer", (), {"device": torch.device("cpu"), "dtype": torch.float32})()
        self.calls: list[dict] = []

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        canvas = np.zeros((kwargs["height"], kwargs["width"], 3), np.uint8)
        canvas[:, : kwargs["width"] // 2, 0] = 255
        canvas[:, kwargs["width"] // 2 :, 2] = 255
        return type("Output", (), {"images": [Image.fromarray(canvas)]})()


def test_render_returns_the_person_half_with_the_given_guidance_and_seed():
    rng = np.random.default_rng(0)
    garment, person = (
        to_signed(_photo(rng, HEIGHT_PX, HALF_WIDTH_PX)),
        to_signed(_photo(rng, HEIGHT_PX, HALF_WIDTH_PX)),
    )
    canvas = compose(garment, person, torch.ones(1, HEIGHT_PX, HALF_WIDTH_PX))
    prompt = tiny_recipe().conditioning.prompt
    pipeline = _HalvesPipeline()
    half = np.asarray(render_tryon(pipeline, canvas, prompt, random_prompt_cache([prompt]), 3, 7.5, seed=5))
    assert half.shape == (HEIGHT_PX, HALF_WIDTH_PX, 3)
    assert (half[..., 2] == 255).all() and (half[..., 0] == 0).all(), "the person (right) half, nothing else"
    (call,) = pipeline.calls
    assert call["guidance_scale"] == 7.5 and call["num_inference_steps"] == 3
    assert call["generator"].initial_seed() == 5


def test_paste_back_scales_the_half_to_the_photo_and_replaces_only_masked_pixels():
    rng = np.random.default_rng(1)
    photo = _photo(rng, 90, 50)
    mask = np.zeros((90, 50), np.uint8)
    mask[30:60, 10:40] = 255
    half = fit(to_signed(photo), HALF_WIDTH_PX, HEIGHT_PX, is_mask=False)
    repainted = Image.fromarray(np.full((HEIGHT_PX, HALF_WIDTH_PX, 3), (0, 200, 0), np.uint8))
    pasted = np.asarray(paste_back(photo, mask, repainted))
    assert pasted.shape == photo.shape
    assert np.array_equal(pasted[mask == 0], photo[mask == 0])
    assert (pasted[mask > 0] == (0, 200, 0)).all(), "letterbox bars are cut off before scaling back"
    assert half.shape == (3, HEIGHT_PX, HALF_WIDTH_PX)


def test_a_mask_of_another_size_is_an_input_error(tmp_path):
    run = tmp_path / "run"
    (run / "weights").mkdir(parents=True)
    (run / "train.yaml").write_text("name: any\n")
    (run / "weights" / "weights.json").write_text("{}\n")
    rng = np.random.default_rng(0)
    person, mask = tmp_path / "person.png", tmp_path / "mask.png"
    Image.fromarray(_photo(rng, 64, 40)).save(person)
    Image.fromarray(np.zeros((32, 20), np.uint8)).save(mask)
    arguments = [
        "--person",
        person,
        "--garment",
        person,
        "--mask",
        mask,
        "--weights",
        run,
        "--output",
        "o.png",
    ]
    result = CliRunner().invoke(app, ["tryon", *map(str, arguments)])
    assert result.exit_code == 3 and "differ in size" in " ".join(result.output.split())
