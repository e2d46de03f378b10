"""Optimizer steps per second and peak memory of the Flux Fill trainer.

Usage: ``python bench/train_speed.py [--steps N]`` runs the tiny random
FLUX Fill of the tests (32x48 halves, batch 2, float32) in each mode on
synthetic shards; ``python bench/train_speed.py --full`` builds a full-size
FluxTransformer2DModel and VAE from the FLUX.1 Fill configuration with random
weights (no download) and times bf16, batch 1, 1152x768 canvases, attention-only
with gradient checkpointing and LoRA rank 64 (needs a GPU with about 80 GB).
Prints a Markdown table; peak memory is the process RSS (``ru_maxrss``) and,
on a GPU, ``torch.cuda.max_memory_allocated``.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import torch
from diffusers import AutoencoderKL, FlowMatchEulerDiscreteScheduler, FluxTransformer2DModel

from tests.output.synthetic import encoded_chunk, write_dataset
from tests.train.tiny import random_prompt_cache, tiny_models, tiny_recipe
from vtondata.train.conditioning import CACHE_FILE, PromptCache
from vtondata.train.flux_fill import FluxFillModels, train

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


def full_models() -> FluxFillModels:
    return FluxFillModels(
        transformer=FluxTransformer2DModel(**FLUX_FILL_TRANSFORMER).to(torch.bfloat16),
        vae=AutoencoderKL(**FLUX_VAE),
        scheduler=FlowMatchEulerDiscreteScheduler(shift=1.0, use_dynamic_shifting=True),
    )


def full_prompt_cache(prompt: str) -> PromptCache:
    return PromptCache({prompt: torch.randn(512, 4096)}, {prompt: torch.randn(768)})


def measure(
    shards: Path, run: Path, recipe, models: FluxFillModels, cache: PromptCache
) -> tuple[float, float, float]:
    """Steps per second after the first step, peak RSS in GiB, peak CUDA memory in GiB (0 without a GPU)."""
    cache.save(run / CACHE_FILE)
    stamps: list[float] = []
    train(shards, run, recipe, models=models, on_step=lambda step, loss: stamps.append(time.perf_counter()))
    rate = (len(stamps) - 1) / (stamps[-1] - stamps[0])
    rss_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    cuda_gib = torch.cuda.max_memory_allocated() / 2**30 if torch.cuda.is_available() else 0.0
    return rate, rss_gib, cuda_gib


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--steps", type=int, default=20, help="Optimizer steps per mode (the first is not timed)."
    )
    parser.add_argument("--full", action="store_true", help="Full-size FLUX.1 Fill, bf16, 1152x768 (GPU).")
    args = parser.parse_args()
    common = {
        "training.steps": args.steps,
        "checkpoint.every_steps": 10**6,
        "checkpoint.keep_last": 1,
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
        cases = {"attention (grad. checkpointing)": "attention", "LoRA rank 64": "lora"}
    else:
        cases = {"full": "full", "attention": "attention", "LoRA rank 4": "lora"}
    print("| mode | steps/s | peak RSS (GiB) | peak CUDA (GiB) |\n|---|---|---|---|")
    with tempfile.TemporaryDirectory() as scratch:
        shards = Path(scratch) / "shards"
        write_dataset(shards, [encoded_chunk(range(0, 8))])
        for label, mode in cases.items():
            recipe = tiny_recipe(**common, **{"training.mode": mode})
            models = full_models() if args.full else tiny_models()
            cache = (full_prompt_cache if args.full else lambda p: random_prompt_cache([p]))(
                recipe.conditioning.prompt
            )
            if torch.cuda.is_available():
                torch.cuda.reset_peak_memory_stats()
            rate, rss, cuda = measure(shards, Path(scratch) / mode, recipe, models, cache)
            print(f"| {label} | {rate:.2f} | {rss:.2f} | {cuda:.2f} |")
            del models


if __name__ == "__main__":
    main()
