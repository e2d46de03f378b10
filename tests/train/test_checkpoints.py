"""Checkpoints hold only what a run trains, a bounded number are kept, and LoRA ones load in diffusers."""

import shutil

import pytest
import torch
from peft import get_peft_model_state_dict
from safetensors.torch import load_file

from tests.train.tiny import random_prompt_cache, tiny_models, tiny_pipeline, tiny_recipe
from vtondata.train.checkpoints import LORA_FILE, TRAINABLE_FILE, prune_checkpoints, write_state
from vtondata.train.conditioning import CACHE_FILE
from vtondata.train.flux_fill import train


def _files(directory):
    return {path.name for path in directory.iterdir()}


def test_lora_checkpoints_hold_the_adapters_only_and_load_into_flux_fill_pipeline(shards, run_dir):
    recipe = tiny_recipe(**{"training.mode": "lora", "checkpoint.every_steps": 1, "checkpoint.keep_last": 2})
    models = tiny_models()
    train(shards, run_dir, recipe, models=models)
    checkpoints = run_dir / "checkpoints"
    assert _files(checkpoints) == {"step-0000003", "step-0000004"}, "keep_last = 2"
    latest = checkpoints / "step-0000004"
    assert LORA_FILE in _files(latest) and "model.safetensors" not in _files(latest)
    stored = load_file(str(latest / LORA_FILE))
    assert stored and all("lora_" in key for key in stored)
    pipeline = tiny_pipeline()
    pipeline.load_lora_weights(str(latest))
    (name,) = pipeline.transformer.peft_config
    loaded = get_peft_model_state_dict(pipeline.transformer, adapter_name=name)
    trained = get_peft_model_state_dict(models.transformer)
    assert all(torch.equal(trained[key], loaded[key]) for key in trained)


def test_lora_adapters_really_move(shards, run_dir):
    """The B matrices start at zero (the adapter is a no-op); training must make them non-zero."""
    models = tiny_models()
    train(shards, run_dir, tiny_recipe(**{"training.mode": "lora", "training.steps": 2}), models=models)
    adapters = get_peft_model_state_dict(models.transformer)
    b_matrices = [value for key, value in adapters.items() if "lora_B" in key]
    assert b_matrices and all(value.abs().max() > 0 for value in b_matrices)


def test_attention_checkpoints_hold_the_attention_parameters_only(shards, run_dir):
    recipe = tiny_recipe(**{"training.mode": "attention", "training.steps": 2})
    models = tiny_models()
    result = train(shards, run_dir, recipe, models=models)
    checkpoint = run_dir / "checkpoints" / "step-0000002"
    assert TRAINABLE_FILE in _files(checkpoint) and "model.safetensors" not in _files(checkpoint)
    stored = load_file(str(checkpoint / TRAINABLE_FILE))
    trained = {name for name, p in models.transformer.named_parameters() if p.requires_grad}
    assert set(stored) == trained and all(".attn." in name for name in stored)
    assert set(load_file(str(result.weights / TRAINABLE_FILE))) == trained


def test_pruning_keeps_the_newest_complete_checkpoints_and_a_newer_save_in_progress(tmp_path):
    root = tmp_path / "checkpoints"
    for step in (1, 2, 3, 5, 6):
        (root / f"step-{step:07d}").mkdir(parents=True)
    for step in (2, 3, 5):
        write_state(root / f"step-{step:07d}", step)
    deleted = prune_checkpoints(tmp_path, keep_last=2)
    assert sorted(path.name for path in deleted) == ["step-0000001", "step-0000002"]
    assert sorted(path.name for path in root.iterdir()) == ["step-0000003", "step-0000005", "step-0000006"]


@pytest.mark.parametrize("optimizer", ["adafactor_bf16", "adamw_bf16"])
def test_full_mode_with_the_shipped_precision_keeps_bfloat16_weights_and_resumes_exactly(
    shards, tmp_path, optimizer
):
    """Defaults of the bundled recipe (bf16, gradient checkpointing) in full mode, on the CPU."""
    settings = {
        "training.mode": "full",
        "training.mixed_precision": "bf16",
        "training.gradient_checkpointing": True,
        "optim.optimizer": optimizer,
    }
    recipe = tiny_recipe(**settings)
    runs = {name: tmp_path / name for name in ("whole", "resumed")}
    for run in runs.values():
        random_prompt_cache([recipe.conditioning.prompt]).save(run / CACHE_FILE)
    models = tiny_models()
    before = {
        name: p.detach().to(torch.bfloat16).clone() for name, p in models.transformer.named_parameters()
    }
    whole = train(shards, runs["whole"], recipe, models=models)
    assert {p.dtype for p in models.transformer.parameters()} == {torch.bfloat16}
    changed = [
        name for name, p in models.transformer.named_parameters() if not torch.equal(p.detach(), before[name])
    ]
    assert len(changed) == len(before), "every weight moves, even by less than a bfloat16 step"

    shutil.copytree(
        runs["whole"] / "checkpoints" / "step-0000002", runs["resumed"] / "checkpoints" / "step-0000002"
    )
    resumed = train(shards, runs["resumed"], recipe, models=tiny_models())
    assert resumed.losses == {step: whole.losses[step] for step in (3, 4)}
