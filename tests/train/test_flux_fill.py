"""The trainer on a tiny random FLUX Fill: three modes, overfitting, exact resumption, LoRA loading."""

import json
import shutil

import pytest
import torch
from peft import get_peft_model_state_dict
from PIL import Image

from tests.output.synthetic import encoded_chunk, write_dataset
from tests.train.tiny import (
    HALF_WIDTH_PX,
    HEIGHT_PX,
    first_batch,
    random_prompt_cache,
    tiny_models,
    tiny_pipeline,
    tiny_recipe,
)
from vtondata.train.checkpoints import LORA_FILE
from vtondata.train.conditioning import CACHE_FILE
from vtondata.train.data import shard_urls
from vtondata.train.flux_fill import compute_loss, configure_deepspeed, sample_timesteps, train


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
    batch = first_batch(shard_urls(tmp_path / "two"), recipe)
    prompts = random_prompt_cache([recipe.conditioning.prompt])
    draws = [{**batch, "positions": [10_000 + 2 * k, 10_001 + 2 * k]} for k in range(32)]

    def fixed_loss() -> float:
        """Positions far past training's seed the draws: the same 32 noise and timestep sets each time."""
        with torch.no_grad():
            losses = [compute_loss(models, draw, prompts, recipe) for draw in draws]
        return torch.stack(losses).mean().item()

    initial = fixed_loss()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny kernels: one thread avoids spin-waiting on a shared 2-core machine
    try:
        train(tmp_path / "two", run_dir, recipe, models=models)
    finally:
        torch.set_num_threads(threads)
    assert fixed_loss() < 0.8 * initial


def test_a_batch_loss_is_the_mean_of_its_samples_losses(shards):
    """Each sample draws its own noise, timestep and VAE sample: splitting a batch changes no term."""
    recipe = tiny_recipe(**{"training.batch_size": 4})
    batch = first_batch(shard_urls(shards), recipe)
    models, prompts = tiny_models(), random_prompt_cache([recipe.conditioning.prompt])
    halves = [{key: value[part] for key, value in batch.items()} for part in (slice(0, 2), slice(2, 4))]
    with torch.no_grad():
        whole = compute_loss(models, batch, prompts, recipe)
        split = [compute_loss(models, half, prompts, recipe) for half in halves]
    assert whole.item() == pytest.approx(torch.stack(split).mean().item(), rel=1e-5)
    moved = {**batch, "positions": [position + 100 for position in batch["positions"]]}
    with torch.no_grad():
        assert compute_loss(models, moved, prompts, recipe).item() != pytest.approx(whole.item(), rel=1e-3)


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


@pytest.mark.parametrize(("logit_mean", "noisier"), [(1.0, True), (-1.0, False)])
def test_positive_logit_mean_draws_noisier_timesteps(logit_mean, noisier):
    """SD3's logit-normal density is over t = sigma: a positive mean gives more noise (median above 0.5)."""
    recipe = tiny_recipe(**{"training.logit_mean": logit_mean})
    scheduler = tiny_models().scheduler
    timesteps, sigmas = sample_timesteps(scheduler, 4000, recipe.training, torch.Generator().manual_seed(0))
    median = sigmas.median().item()
    assert (median > 0.6) if noisier else (median < 0.4)
    assert torch.allclose(timesteps / 1000, sigmas, atol=1e-3), "timesteps and sigmas stay paired"


def test_a_run_logs_to_tensorboard_and_scans_the_shards_once(shards, run_dir, monkeypatch):
    import vtondata.train.data as data

    scans = []
    original = data.scan_shards
    monkeypatch.setattr(data, "scan_shards", lambda *args: scans.append(1) or original(*args))
    records = []
    recipe = tiny_recipe(**{"training.mode": "lora", "training.steps": 2, "validation.every_steps": 2})
    train(shards, run_dir, recipe, models=tiny_models(), on_step=records.append)
    resumed = tiny_recipe(**{"training.mode": "lora", "training.steps": 3, "validation.every_steps": 2})
    train(shards, run_dir, resumed, models=tiny_models(), on_step=records.append)
    assert len(scans) == 1, "the resumed run reads RUN/data.json instead of every shard"
    assert [record.step for record in records] == [1, 2, 3]
    assert all(record.grad_norm is not None and record.grad_norm > 0 for record in records)
    lines = [json.loads(line) for line in (run_dir / "log.jsonl").read_text().splitlines()]
    assert [line["step"] for line in lines] == [1, 2, 3] and all("grad_norm" in line for line in lines)

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = sorted((run_dir / "tensorboard").rglob("events.out.tfevents.*"))
    assert events
    steps: dict[str, list[int]] = {}
    for event_file in events:
        accumulator = EventAccumulator(str(event_file), size_guidance={"images": 0, "scalars": 0})
        accumulator.Reload()
        for tag in accumulator.Tags()["scalars"]:
            steps.setdefault(tag, []).extend(event.step for event in accumulator.Scalars(tag))
        for tag in accumulator.Tags()["images"]:
            steps.setdefault(tag, []).extend(event.step for event in accumulator.Images(tag))
    for tag in ("train/loss", "train/lr", "train/grad_norm"):
        assert sorted(steps[tag]) == [1, 2, 3], tag
    assert sorted(steps["validation/grid"]) == [2, 3]


@pytest.mark.parametrize("mode", ["lora", "attention"])
def test_recipe_precision_trains_float32_parameters_over_bfloat16_frozen_weights(shards, run_dir, mode):
    """The bundled recipe's bf16 mixed precision and gradient checkpointing, not the tests' fp32."""
    recipe = tiny_recipe(
        **{
            "training.mode": mode,
            "training.steps": 2,
            "training.mixed_precision": "bf16",
            "training.gradient_checkpointing": True,
        }
    )
    models = tiny_models()
    before = {name: p.detach().float().clone() for name, p in models.transformer.named_parameters()}
    result = train(shards, run_dir, recipe, models=models)
    assert all(torch.isfinite(torch.tensor(list(result.losses.values()))))
    named = dict(models.transformer.named_parameters())
    trained = {name for name, p in named.items() if p.requires_grad}
    assert trained and {named[name].dtype for name in trained} == {torch.float32}
    assert {p.dtype for name, p in named.items() if name not in trained} == {torch.bfloat16}
    assert all(
        not torch.equal(named[name].detach().float(), before[name]) for name in trained if name in before
    )


def test_deepspeed_takes_batch_accumulation_and_clipping_from_the_recipe():
    """accelerate would fill DeepSpeed's unset clipping with 1.0 and fail for want of a batch size."""
    from accelerate.utils import DeepSpeedPlugin

    recipe = tiny_recipe(
        **{"training.batch_size": 3, "training.gradient_accumulation_steps": 5, "optim.max_grad_norm": 0.25}
    )
    plugin = DeepSpeedPlugin(zero_stage=2, gradient_accumulation_steps=1)
    configure_deepspeed(plugin.deepspeed_config, recipe)
    plugin.deepspeed_config_process(must_match=False, gradient_clipping=1.0, train_batch_size=3 * 5 * 8)
    config = plugin.deepspeed_config
    assert config["train_micro_batch_size_per_gpu"] == 3
    assert config["gradient_accumulation_steps"] == 5
    assert config["gradient_clipping"] == 0.25
    assert config["train_batch_size"] == 120
