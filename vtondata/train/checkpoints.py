"""Resumable checkpoints that hold only what a run trains.

``accelerate.save_state`` writes the whole model by default: 25 GB for a
LoRA run of the 12B FLUX transformer, whose adapters weigh a few hundred MB.
The hooks registered by :func:`register_trainable_state_hooks` replace the
model part of each checkpoint with the trainable parameters alone:

- ``lora``: ``pytorch_lora_weights.safetensors`` written by
  ``FluxFillPipeline.save_lora_weights``, so any checkpoint loads with
  ``FluxFillPipeline.load_lora_weights(checkpoint)``;
- ``attention``: ``trainable.safetensors``, the trained parameters by name,
  loaded over the base transformer;
- ``full``: every weight is trained, so accelerate's own whole-model file.

Optimizer state, learning-rate schedule and RNG states stay accelerate's.
A resumed run rebuilds the base model from ``model.path`` and loads these
files over it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import cast

import torch
from accelerate import Accelerator
from accelerate.utils import extract_model_from_parallel
from diffusers import FluxFillPipeline, FluxTransformer2DModel
from peft import get_peft_model_state_dict, set_peft_model_state_dict
from safetensors.torch import load_file, save_file

from vtondata.train.config import TrainRecipe

STATE_FILE = "trainer_state.json"
LORA_FILE = "pytorch_lora_weights.safetensors"
TRAINABLE_FILE = "trainable.safetensors"
LORA_KEY_PREFIX = "transformer."


def checkpoints_dir(output: Path) -> Path:
    return output / "checkpoints"


def checkpoint_step(path: Path) -> int:
    return int(path.name.removeprefix("step-"))


def latest_checkpoint(output: Path) -> Path | None:
    """The newest complete checkpoint (one with its state file), or ``None``."""
    complete = [path for path in checkpoints_dir(output).glob("step-*") if (path / STATE_FILE).is_file()]
    return max(complete, key=checkpoint_step, default=None)


def prune_checkpoints(output: Path, keep_last: int) -> list[Path]:
    """Delete all but the newest ``keep_last`` complete checkpoints; return what was deleted.

    Incomplete checkpoints (no state file: a save cut short) older than the
    newest complete one go too; a newer incomplete one may be a save under way.
    """
    found = sorted(checkpoints_dir(output).glob("step-*"), key=checkpoint_step)
    complete = [path for path in found if (path / STATE_FILE).is_file()]
    kept = set(complete[-keep_last:])
    newest = checkpoint_step(complete[-1]) if complete else -1
    stale = [path for path in found if path not in kept and checkpoint_step(path) < newest]
    for path in stale:
        shutil.rmtree(path)
    return stale


def trainable_state_dict(model: FluxTransformer2DModel) -> dict[str, torch.Tensor]:
    """The parameters that require a gradient, by name, detached and contiguous."""
    return {
        name: parameter.detach().contiguous()
        for name, parameter in model.named_parameters()
        if parameter.requires_grad
    }


def save_trainable(model: FluxTransformer2DModel, mode: str, directory: Path) -> Path:
    """Write the trained parameters of an unwrapped transformer into ``directory``; return the file."""
    directory.mkdir(parents=True, exist_ok=True)
    if mode == "lora":
        FluxFillPipeline.save_lora_weights(
            str(directory),
            transformer_lora_layers=cast(
                dict[str, torch.nn.Module | torch.Tensor], get_peft_model_state_dict(model)
            ),
            transformer_lora_adapter_metadata=model.peft_config["default"].to_dict(),
        )
        return directory / LORA_FILE
    save_file(trainable_state_dict(model), str(directory / TRAINABLE_FILE))
    return directory / TRAINABLE_FILE


def load_trainable(model: FluxTransformer2DModel, mode: str, directory: Path) -> None:
    """Load what :func:`save_trainable` wrote; every trained parameter must be found, nothing else."""
    if mode == "lora":
        state = FluxFillPipeline.lora_state_dict(str(directory / LORA_FILE))
        if isinstance(state, tuple):
            state = state[0]
        adapters = {key.removeprefix(LORA_KEY_PREFIX): value for key, value in state.items()}
        result = set_peft_model_state_dict(model, adapters, adapter_name="default")
        unexpected = getattr(result, "unexpected_keys", [])
        if unexpected:
            raise ValueError(f"{directory}: adapter weights the model lacks: {unexpected[:3]}")
        return
    state = load_file(str(directory / TRAINABLE_FILE))
    wanted = set(trainable_state_dict(model))
    if set(state) != wanted:
        missing, extra = sorted(wanted - set(state)), sorted(set(state) - wanted)
        raise ValueError(f"{directory}: trained parameters differ (missing {missing[:3]}, extra {extra[:3]})")
    model.load_state_dict(state, strict=False)


def register_trainable_state_hooks(accelerator: Accelerator, recipe: TrainRecipe) -> None:
    """Make ``save_state`` / ``load_state`` keep only the trained parameters (``lora``, ``attention``).

    ``full`` keeps accelerate's whole-model file; DeepSpeed and FSDP save
    through their own engines and pass no weights to the hooks, so they are
    left alone too.
    """
    mode = recipe.training.mode
    if mode == "full":
        return

    def save_hook(models: list[torch.nn.Module], weights: list[dict], output_dir: str) -> None:
        if not weights:
            return
        if accelerator.is_main_process:
            for model in models:
                save_trainable(extract_model_from_parallel(model), mode, Path(output_dir))
        weights.clear()

    def load_hook(models: list[torch.nn.Module], input_dir: str) -> None:
        while models:
            load_trainable(extract_model_from_parallel(models.pop()), mode, Path(input_dir))

    accelerator.register_save_state_pre_hook(save_hook)
    accelerator.register_load_state_pre_hook(load_hook)


def write_state(directory: Path, step: int) -> None:
    """The completion marker of a checkpoint, written after everything else."""
    (directory / STATE_FILE).write_text(json.dumps({"step": step}) + "\n")


def read_state(directory: Path) -> int:
    return int(json.loads((directory / STATE_FILE).read_text())["step"])
