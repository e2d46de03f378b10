"""Seconds per optimizer step and peak memory of the Flux Fill trainer, per mode.

Usage: ``python bench/train_speed.py [--steps N] [--modes lora,attention,...]``
runs the tiny random FLUX Fill of the tests (32x48 halves, batch 2, float32)
on synthetic shards; ``python bench/train_speed.py --full`` builds a full-size
FluxTransformer2DModel (11.9 B parameters) and VAE from the FLUX.1 Fill
configuration with random weights, directly on the GPU in bfloat16 (no
download), and trains bf16, batch 1, 1152x768 canvases (576x768 halves),
512 T5 tokens, gradient checkpointing, one micro-batch per step.

Modes: ``lora`` (rank 64), ``attention`` (AdamW, float32 trained weights),
``full`` (``adafactor_bf16``), ``full-adamw`` (``adamw_bf16``); the tiny
float32 model runs ``lora``, ``attention`` and ``full`` with AdamW. A mode
that runs out of GPU memory or fails is reported as such and the next one runs.

Prints a Markdown table: median seconds per step after the first step, peak
RSS (``ru_maxrss``, the process so far) and, on a GPU, the peak of
``torch.cuda.max_memory_allocated`` / ``max_memory_reserved`` during the mode
(model weights included). Checkpoint and weight saving are switched off:
they time the disk, not the step (a full checkpoint would need 24-72 GB).
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import tempfile
from pathlib import Path

import torch
from diffusers import AutoencoderKL, FlowMatchEulerDiscreteScheduler, FluxTransformer2DModel

import vtondata.train.flux_fill as flux_fill
from tests.output.synthetic import encoded_chunk, write_dataset
from tests.train.tiny import random_prompt_cache, tiny_models, tiny_recipe
from vtondata.train.conditioning import CACHE_FILE, PromptCache
from vtondata.train.flux_fill import FluxFillModels, train
from vtondata.train.tracking import StepRecord

FLUX_FILL_TRANSFORMER = {
    "patch_size": 1,
    "in_channels": 384,
    "out_channels": 64,
    "num_layers": 19,
    "num_single_layers": 38,
    "attention_head_dim": 128,
    "num_attention_heads": 24,
    "joint_attention_dim": 4096,
    "pooled_projection_dim": 768,
    "guidance_embeds": True,
    "axes_dims_rope": (16, 56, 56),
}
FLUX_VAE = {
    "in_channels": 3,
    "out_channels": 3,
    "down_block_types": ["DownEncoderBlock2D"] * 4,
    "up_block_types": ["UpDecoderBlock2D"] * 4,
    "block_out_channels": (128, 256, 512, 512),
    "layers_per_block": 2,
    "latent_channels": 16,
    "norm_num_groups": 32,
    "sample_size": 1024,
    "use_quant_conv": False,
    "use_post_quant_conv": False,
    "shift_factor": 0.1159,
    "scaling_factor": 0.3611,
}
MODES = {
    "lora": {"training.mode": "lora"},
    "attention": {"training.mode": "attention", "optim.optimizer": "adamw"},
    "full": {"training.mode": "full", "optim.optimizer": "adafactor_bf16"},
    "full-adamw": {"training.mode": "full", "optim.optimizer": "adamw_bf16"},
}
TINY_MODES = {
    "lora": MODES["lora"],
    "attention": MODES["attention"],
    "full": {"training.mode": "full", "optim.optimizer": "adamw"},
}
"""The tiny model trains in float32, where the ``*_bf16`` optimizers do not apply."""


def full_models(device: torch.device) -> FluxFillModels:
    """Full-size random FLUX.1 Fill transformer and VAE: initialised on ``device`` in float32
    (fast on a GPU), then cast to bfloat16 as ``from_pretrained(torch_dtype=bfloat16)`` would load them."""
    with device:
        transformer = FluxTransformer2DModel(**FLUX_FILL_TRANSFORMER).to(torch.bfloat16)
        vae = AutoencoderKL(**FLUX_VAE)
    return FluxFillModels(
        transformer=transformer,
        vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=1.0, use_dynamic_shifting=True),
    )


def full_prompt_cache(prompt: str) -> PromptCache:
    return PromptCache({prompt: torch.randn(512, 4096)}, {prompt: torch.randn(768)})


def measure(shards: Path, run: Path, recipe, models: FluxFillModels, cache: PromptCache) -> float:
    """Median seconds per optimizer step after the first one."""
    cache.save(run / CACHE_FILE)
    records: list[StepRecord] = []
    train(shards, run, recipe, models=models, on_step=records.append)
    return statistics.median(record.seconds for record in records[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--steps", type=int, default=20, help="Optimizer steps per mode (the first is not timed)."
    )
    parser.add_argument("--full", action="store_true", help="Full-size FLUX.1 Fill, bf16, 1152x768 (GPU).")
    parser.add_argument("--modes", help=f"Comma-separated, of {', '.join(MODES)} (default: all that apply).")
    args = parser.parse_args()
    flux_fill.save_checkpoint = lambda *args, **kwargs: None
    flux_fill.save_weights = lambda *args, **kwargs: None
    common = {
        "training.steps": args.steps,
        "validation.every_steps": None,
        "validation.num_samples": 0,
    }
    if args.full:
        common |= {
            "canvas.half_width_px": 576,
            "canvas.half_height_px": 768,
            "training.batch_size": 1,
            "training.mixed_precision": "bf16",
            "training.gradient_checkpointing": True,
            "conditioning.max_sequence_length": 512,
            "lora.rank": 64,
            "lora.alpha": 64,
        }
    cuda = torch.cuda.is_available()
    print(
        "| mode | optimizer | s/step | peak RSS (GiB) | peak CUDA alloc. (GiB) | peak CUDA reserved (GiB) |"
    )
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as scratch:
        shards = Path(scratch) / "shards"
        write_dataset(shards, [encoded_chunk(range(0, 8))])
        modes = MODES if args.full else TINY_MODES
        for mode in args.modes.split(",") if args.modes else modes:
            settings = modes[mode]
            recipe = tiny_recipe(**common, **settings)
            device = torch.device("cuda" if cuda else "cpu")
            models = full_models(device) if args.full else tiny_models()
            if cuda:
                torch.cuda.empty_cache()
                torch.cuda.reset_peak_memory_stats()
            prompt = recipe.conditioning.prompt
            cache = full_prompt_cache(prompt) if args.full else random_prompt_cache([prompt])
            try:
                seconds = f"{measure(shards, Path(scratch) / mode, recipe, models, cache):.3f}"
            except torch.OutOfMemoryError:
                seconds = "out of memory"
            except RuntimeError as error:
                seconds = f"failed: {str(error).splitlines()[0][:120]}"
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
            allocated = torch.cuda.max_memory_allocated() / 2**30 if cuda else 0.0
            reserved = torch.cuda.max_memory_reserved() / 2**30 if cuda else 0.0
            print(
                f"| {mode} | {recipe.optimizer} | {seconds} | {rss:.1f} | {allocated:.1f} | {reserved:.1f} |",
                flush=True,
            )
            del models, cache
            gc.collect()


if __name__ == "__main__":
    main()
