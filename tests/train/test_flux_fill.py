"""The trainer on a tiny random FLUX Fill: three modes, overfitting, exact resumption, LoRA loading."""

import shutil

import pytest
import torch
from peft import get_peft_model_state_dict
from PIL import Image

from tests.output.synthetic import encoded_chunk, write_dataset
from tests.train.tiny import (
    HALF_WIDTH_PX,
    HEIGHT_PX,
    random_prompt_cache,
    tiny_models,
    tiny_pipeline,
    tiny_recipe,
)
from vtondata.train.checkpoints import LORA_FILE
from vtondata.train.conditioning import CACHE_FILE
from vtondata.train.data import shard_urls, training_pipeline
from vtondata.train.flux_fill import compute_loss, step_generator, train


@pytest.mark.parametrize("mode", ["attention", "full", "lora"])
def test_every_mode_trains_only_its_weights_with_a_finite_loss(shards, run_dir, mode):
    models = tiny_models()
    before = {name: p.detach().clone() for name, p in models.transformer.named_parameters()}
    recipe = tiny_recipe(**{"training.mode": mode, "training.steps": 2})
    result = train(shards, run_dir, recipe, models=models)
    assert sorted(result.losses) == [1, 2] and all(torch.isfinite(torch.tensor(list(result.losses.values()))))
    changed = {
        name
        for name, p in models.transformer.named_parameters()
        if name in before and not torch.equal(p.detach(), before[name])
    }
    if mode == "full":
        assert "x_embedder.weight" in changed and "proj_out.weight" in changed
    elif mode == "attention":
        assert changed and all(".attn." in name for name in changed)
    else:
        assert changed == set(), "LoRA leaves the base weights alone"
        assert any("lora_B" in name for name, p in models.transformer.named_parameters() if p.requires_grad)


def test_overfitting_two_samples_lowers_the_loss(tmp_path, run_dir):
    """The loss on fixed noise and timesteps drops by over a fifth after 300 steps on the same two samples."""
    write_dataset(tmp_path / "two", [encoded_chunk(range(0, 2))])
    settings = {"training.steps": 300, "optim.learning_rate": 3e-3, "checkpoint.every_steps": 1000}
    recipe = tiny_recipe(**settings, **{"validation.num_samples": 0, "mask_augment.enabled": False})
    models = tiny_models(heads=8)
    batch = next(iter(training_pipeline(shard_urls(tmp_path / "two"), recipe)))
    prompts = random_prompt_cache([recipe.conditioning.prompt])

    def fixed_loss() -> float:
        with torch.no_grad():
            losses = [
                compute_loss(models, batch, prompts, recipe, step_generator(1, 0, k, 0)) for k in range(8)
            ]
        return torch.stack(losses).mean().item()

    initial = fixed_loss()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny kernels: one thread avoids spin-waiting on a shared 2-core machine
    try:
        train(tmp_path / "two", run_dir, recipe, models=models)
    finally:
        torch.set_num_threads(threads)
    assert fixed_loss() < 0.8 * initial


def test_resumed_run_computes_the_same_losses_as_an_uninterrupted_one(shards, tmp_path):
    recipe = tiny_recipe(**{"training.mode": "lora", "training.gradient_accumulation_steps": 2})
    runs = {}
    for name in ("whole", "resumed"):
        runs[name] = tmp_path / name
        random_prompt_cache([recipe.conditioning.prompt]).save(runs[name] / CACHE_FILE)
    whole = train(shards, runs["whole"], recipe, models=tiny_models())
    shutil.copytree(
        runs["whole"] / "checkpoints" / "step-0000002", runs["resumed"] / "checkpoints" / "step-0000002"
    )
    resumed = train(shards, runs["resumed"], recipe, models=tiny_models())
    assert sorted(resumed.losses) == [3, 4]
    assert resumed.losses == {step: whole.losses[step] for step in (3, 4)}


def test_lora_weights_load_into_flux_fill_pipeline_and_validation_grid_is_saved(shards, run_dir):
    recipe = tiny_recipe(**{"training.mode": "lora", "training.steps": 2, "validation.every_steps": 2})
    models = tiny_models()
    result = train(shards, run_dir, recipe, models=models)
    assert (result.weights / LORA_FILE).is_file()
    pipeline = tiny_pipeline()
    pipeline.load_lora_weights(str(result.weights))
    trained = get_peft_model_state_dict(models.transformer)
    (name,) = pipeline.transformer.peft_config
    loaded = get_peft_model_state_dict(pipeline.transformer, adapter_name=name)
    assert trained.keys() == loaded.keys() and len(trained) > 0
    assert all(torch.equal(trained[key], loaded[key]) for key in trained)
    adapter = pipeline.transformer.peft_config[name]
    assert adapter.lora_alpha == recipe.lora.alpha and adapter.r == recipe.lora.rank
    grid = Image.open(run_dir / "validation" / "step-0000002.png")
    assert grid.size == (4 * HALF_WIDTH_PX, recipe.validation.num_samples * HEIGHT_PX)
