"""The bundled Flux Fill try-on trainer: read the recipe, build, loop, save.

Read top to bottom, each function is one step of a run:
:func:`load_models` (FLUX.1 Fill from a diffusers folder or the hub),
:func:`configure_trainable` (attention-only, full or LoRA),
:func:`fill_inputs` (canvas -> packed latents and the 320-channel condition,
exactly as ``FluxFillPipeline`` builds them), :func:`sample_timesteps` and
:func:`flow_matching_loss` (the scheduler's own sigmas and diffusers'
timestep densities), :func:`compute_loss`, the checkpoint functions, the
validation grid, and :func:`train`, which ties them together with
``accelerate`` (device, mixed precision, gradient accumulation, multi-GPU).
Checkpoints live in :mod:`vtondata.train.checkpoints`, progress records and
TensorBoard in :mod:`vtondata.train.tracking`, and the bfloat16 optimizers
of full fine-tuning in :mod:`vtondata.train.optim`.

Models handed to ``accelerate.prepare`` may come back wrapped (DDP,
DeepSpeed); code that reads a model's ``config`` or saves it unwraps first.

Batches follow one global sample order whatever the number of processes,
every random draw of a sample is a function of ``(seed, its position in that
order)`` (:mod:`vtondata.train.order`, :mod:`vtondata.train.randomness`), and
the loss is the mean over the global batch (DDP averages the processes'
gradients of their batch means). So ``N`` processes with batch ``B / N``
compute the losses of one process with batch ``B``, up to floating-point
summation order, and a run resumed from a checkpoint continues the order
where it stopped and computes the same next loss as an uninterrupted one.
"""

from __future__ import annotations

import copy
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch
import yaml
from accelerate import Accelerator
from accelerate.utils import DistributedDataParallelKwargs, ProjectConfiguration, extract_model_from_parallel
from diffusers import AutoencoderKL, FlowMatchEulerDiscreteScheduler, FluxFillPipeline, FluxTransformer2DModel
from diffusers.optimization import get_scheduler
from diffusers.pipelines.flux.pipeline_flux_fill import retrieve_latents
from diffusers.pipelines.flux.pipeline_output import FluxPipelineOutput
from diffusers.training_utils import (
    cast_training_params,
    compute_density_for_timestep_sampling,
    compute_loss_weighting_for_sd3,
)
from peft import LoraConfig
from PIL import Image

from vtondata.train.canvas import Canvas, fill_condition, latent_image_ids, pack_latents, to_uint8
from vtondata.train.checkpoints import (
    checkpoints_dir,
    latest_checkpoint,
    prune_checkpoints,
    read_state,
    register_trainable_state_hooks,
    save_trainable,
    write_state,
)
from vtondata.train.conditioning import CACHE_FILE, PromptCache, ensure_prompt_cache
from vtondata.train.config import TrainingSection, TrainRecipe
from vtondata.train.data import (
    Batch,
    ShardScan,
    TrainingBatches,
    cached_scan,
    held_out,
    read_scan,
    shard_urls,
    training_loader,
)
from vtondata.train.optim import AdafactorBF16, AdamWBF16
from vtondata.train.randomness import sample_generator
from vtondata.train.tracking import (
    TENSORBOARD_DIR,
    StepRecord,
    finish_tracking,
    record_grid,
    record_step,
    start_tracking,
)

logger = logging.getLogger(__name__)

RECIPE_FILE = "train.yaml"
DATA_FILE = "data.json"
WEIGHTS_DIR = "weights"
WEIGHTS_INFO = "weights.json"


@dataclass
class FluxFillModels:
    """What training needs: the transformer to train, the frozen VAE, and the flow-matching scheduler."""

    transformer: FluxTransformer2DModel
    vae: AutoencoderKL
    scheduler: FlowMatchEulerDiscreteScheduler


@dataclass(frozen=True)
class FillInputs:
    """One batch in transformer space: ``latents`` (B, N, 64) clean target tokens, ``condition``
    (B, N, 320) masked-image tokens + mask tokens, ``image_ids`` (N, 3), latent size ``(h, w)``."""

    latents: torch.Tensor
    condition: torch.Tensor
    image_ids: torch.Tensor
    latent_size: tuple[int, int]


@dataclass(frozen=True)
class TrainResult:
    output: Path
    steps: int
    losses: dict[int, float]
    """Mean training loss of each optimizer step run by this call, by step number (1-based)."""
    weights: Path
    data: ShardScan


def load_models(recipe: TrainRecipe) -> FluxFillModels:
    """Transformer, VAE and scheduler of the base model (``model.path``), in float32 on the CPU."""
    path, revision = recipe.model.path, recipe.model.revision
    return FluxFillModels(
        transformer=FluxTransformer2DModel.from_pretrained(path, subfolder="transformer", revision=revision),
        vae=AutoencoderKL.from_pretrained(path, subfolder="vae", revision=revision),
        scheduler=cast(
            FlowMatchEulerDiscreteScheduler,
            FlowMatchEulerDiscreteScheduler.from_pretrained(path, subfolder="scheduler", revision=revision),
        ),
    )


def vae_scale_factor(vae: AutoencoderKL) -> int:
    """Pixels per latent pixel (8 for FLUX), as FluxFillPipeline derives it."""
    return 2 ** (len(vae.config["block_out_channels"]) - 1)


def configure_trainable(transformer: FluxTransformer2DModel, recipe: TrainRecipe) -> list[torch.nn.Parameter]:
    """Freeze the transformer, then unfreeze what the mode trains; return the trainable parameters.

    ``attention``: every parameter inside an attention module (``.attn.``:
    q/k/v/out projections and their norms, in both block kinds); ``full``:
    everything; ``lora``: fresh peft adapters on ``lora.target_modules``.
    """
    mode = recipe.training.mode
    transformer.requires_grad_(mode == "full")
    if mode == "attention":
        for name, parameter in transformer.named_parameters():
            if ".attn." in name:
                parameter.requires_grad_(True)
    elif mode == "lora":
        transformer.add_adapter(
            LoraConfig(
                r=recipe.lora.rank,
                # peft annotates an int but scales by alpha / r, so a float alpha is valid.
                lora_alpha=recipe.lora.alpha,  # pyright: ignore[reportArgumentType]
                init_lora_weights="gaussian",
                target_modules=list(recipe.lora.target_modules),
            )
        )
    trainable = [parameter for parameter in transformer.parameters() if parameter.requires_grad]
    if not trainable:
        raise ValueError(f"mode {mode!r} left no trainable parameter in the transformer")
    return trainable


Generators = torch.Generator | list[torch.Generator] | None
"""One generator for the whole batch, or one per sample (diffusers' ``randn_tensor`` convention)."""


def encode_latents(vae: AutoencoderKL, images: torch.Tensor, generator: Generators) -> torch.Tensor:
    """(B, 3, H, W) in [-1, 1] -> scaled, shifted VAE latents (B, 16, H/8, W/8) drawn with ``generator``."""
    # diffusers annotates retrieve_latents as taking a tensor and one generator; it reads the encoder
    # output's latent_dist and hands the generator to randn_tensor, which also takes a list.
    latents = retrieve_latents(
        vae.encode(images.to(device=vae.device, dtype=vae.dtype)),  # pyright: ignore[reportArgumentType]
        generator=generator,  # pyright: ignore[reportArgumentType]
    )
    return (latents - vae.config["shift_factor"]) * vae.config["scaling_factor"]


def fill_inputs(
    vae: AutoencoderKL, image: torch.Tensor, mask: torch.Tensor, generator: Generators
) -> FillInputs:
    """Canvas batch -> :class:`FillInputs`: the clean latents to denoise and FluxFillPipeline's condition.

    ``image`` (B, 3, H, W) in [-1, 1], ``mask`` (B, 1, H, W) in {0, 1}, 1 = repaint.
    """
    with torch.no_grad():
        target = encode_latents(vae, image, generator)
        masked = encode_latents(vae, image * (1.0 - mask), generator)
    height, width = target.shape[-2:]
    condition = fill_condition(
        masked, mask.to(device=masked.device, dtype=masked.dtype), vae_scale_factor(vae)
    )
    return FillInputs(
        latents=pack_latents(target),
        condition=condition,
        image_ids=latent_image_ids(height, width, target.device, target.dtype),
        latent_size=(height, width),
    )


def sample_timesteps(
    scheduler: FlowMatchEulerDiscreteScheduler,
    batch_size: int,
    training: TrainingSection,
    generator: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw B of the scheduler's training timesteps with the configured density from one generator.

    Returns ``(timesteps, sigmas)``, both (B,): timesteps in [0, 1000] as the
    scheduler lists them, and their noise levels sigma in [0, 1]. The density
    draws u in (0, 1) as the SD3 paper's t, the noise level: the scheduler
    lists its timesteps from the noisiest down, so u picks index ``(1 - u) N``
    and a positive ``logit_mean`` gives noisier samples.
    """
    density = compute_density_for_timestep_sampling(
        weighting_scheme=training.timestep_sampling,
        batch_size=batch_size,
        logit_mean=training.logit_mean,
        logit_std=training.logit_std,
        mode_scale=training.mode_scale,
        generator=generator,
    )
    timesteps, sigmas = scheduler.timesteps, scheduler.sigmas
    assert isinstance(timesteps, torch.Tensor) and isinstance(sigmas, torch.Tensor)
    count = len(timesteps)
    indices = ((1.0 - density) * count).long().clamp(0, count - 1)
    return timesteps[indices], sigmas[indices]


def flow_matching_loss(
    prediction: torch.Tensor,
    target: torch.Tensor,
    sigmas: torch.Tensor,
    mask_tokens: torch.Tensor,
    training: TrainingSection,
) -> torch.Tensor:
    """Weighted MSE between the predicted and true velocity ``noise - latents`` (tokens (B, N, C)).

    ``mask_tokens`` (B, N) is each token's repaint fraction in [0, 1]; tokens
    get weight ``1 + (masked_loss_weight - 1) * fraction``, normalised per
    sample, and each sample is weighted by ``loss_weighting`` of its sigma.
    """
    error = (prediction.float() - target.float()).pow(2).mean(dim=-1)
    token_weight = 1.0 + (training.masked_loss_weight - 1.0) * mask_tokens.float()
    per_sample = (error * token_weight).sum(dim=1) / token_weight.sum(dim=1)
    weighting = compute_loss_weighting_for_sd3(training.loss_weighting, sigmas=sigmas.float())
    return (weighting * per_sample).mean()


def compute_loss(
    models: FluxFillModels,
    batch: Batch,
    prompts: PromptCache,
    recipe: TrainRecipe,
) -> torch.Tensor:
    """The flow-matching loss of one micro-batch (scalar; differentiable in the trainable weights).

    Each sample draws its VAE sample, noise and timestep, in that order, from
    its own generator (:func:`~vtondata.train.randomness.sample_generator` of
    its position), so its loss term does not depend on the rest of the batch.
    """
    transformer, vae = models.transformer, models.vae
    device = vae.device
    seed = recipe.training.seed
    generators = [sample_generator(seed, position, "diffusion") for position in batch["positions"]]
    inputs = fill_inputs(vae, batch["image"], batch["mask"], generators)
    batch_size = inputs.latents.shape[0]
    noise = torch.stack([torch.randn(inputs.latents.shape[1:], generator=g) for g in generators])
    noise = noise.to(device=device, dtype=inputs.latents.dtype)
    drawn = [sample_timesteps(models.scheduler, 1, recipe.training, g) for g in generators]
    timesteps = torch.cat([timestep for timestep, _ in drawn]).to(device)
    sigmas = torch.cat([sigma for _, sigma in drawn]).to(device)
    # diffusers annotates its tensor arguments as the legacy torch.FloatTensor.
    noisy = models.scheduler.scale_noise(
        cast(torch.FloatTensor, inputs.latents),
        cast(torch.FloatTensor, timesteps),
        cast(torch.FloatTensor, noise),
    )
    prompt_embeds, pooled = prompts.batch(batch["prompts"], device, inputs.latents.dtype)
    guidance = None
    if extract_model_from_parallel(transformer).config.guidance_embeds:
        guidance = torch.full((batch_size,), recipe.training.guidance_scale, device=device)
    prediction = transformer(
        hidden_states=torch.cat([noisy, inputs.condition], dim=2),
        timestep=timesteps / 1000,
        guidance=guidance,
        pooled_projections=pooled,
        encoder_hidden_states=prompt_embeds,
        txt_ids=torch.zeros(prompt_embeds.shape[1], 3, device=device, dtype=inputs.latents.dtype),
        img_ids=inputs.image_ids,
        return_dict=False,
    )[0]
    mask_channels = inputs.condition.shape[-1] - inputs.latents.shape[-1]
    mask_tokens = inputs.condition[..., -mask_channels:].mean(dim=-1)
    return flow_matching_loss(prediction, noise - inputs.latents, sigmas, mask_tokens, recipe.training)


def build_optimizer(
    parameters: list[torch.nn.Parameter], recipe: TrainRecipe, num_processes: int
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler]:
    """The recipe's optimizer and its schedule; schedule lengths count scheduler calls (accelerate
    steps it once per process)."""
    optim = recipe.optim
    optimizer: torch.optim.Optimizer
    if recipe.optimizer == "adafactor_bf16":
        optimizer = AdafactorBF16(
            parameters, lr=optim.learning_rate, weight_decay=optim.weight_decay, seed=recipe.training.seed
        )
    elif recipe.optimizer == "adamw_bf16":
        optimizer = AdamWBF16(
            parameters,
            lr=optim.learning_rate,
            betas=(optim.adam_beta1, optim.adam_beta2),
            weight_decay=optim.weight_decay,
            eps=optim.adam_epsilon,
            seed=recipe.training.seed,
        )
    else:
        optimizer = torch.optim.AdamW(
            parameters,
            lr=optim.learning_rate,
            betas=(optim.adam_beta1, optim.adam_beta2),
            weight_decay=optim.weight_decay,
            eps=optim.adam_epsilon,
        )
    lr_scheduler = get_scheduler(
        optim.lr_scheduler,
        optimizer=optimizer,
        num_warmup_steps=optim.warmup_steps * num_processes,
        num_training_steps=recipe.training.steps * num_processes,
    )
    return optimizer, lr_scheduler


def make_accelerator(recipe: TrainRecipe, output: Path) -> Accelerator:
    """accelerate for this run: precision, accumulation, TensorBoard under ``RUN/tensorboard``.

    DDP reuses its communication buckets as gradients (one copy of the
    gradients, not two). Under DeepSpeed see :func:`configure_deepspeed`.
    """
    accelerator = Accelerator(
        gradient_accumulation_steps=recipe.training.gradient_accumulation_steps,
        mixed_precision="no"
        if recipe.training.mixed_precision == "fp32"
        else recipe.training.mixed_precision,
        project_config=ProjectConfiguration(
            project_dir=str(output), logging_dir=str(output / TENSORBOARD_DIR)
        ),
        log_with="tensorboard",
        kwargs_handlers=[DistributedDataParallelKwargs(gradient_as_bucket_view=True)],
    )
    deepspeed = accelerator.state.deepspeed_plugin
    if deepspeed is not None:
        configure_deepspeed(deepspeed.deepspeed_config, recipe)
    return accelerator


def configure_deepspeed(config: dict[str, Any], recipe: TrainRecipe) -> None:
    """Write the recipe's batch, accumulation and clipping into DeepSpeed's config, where DeepSpeed
    reads them.

    DeepSpeed sizes its batches from the dataloaders given to ``prepare``;
    the trainer's loader splits the global order by process itself and is
    not given, so the micro-batch size must be set here. Left alone,
    accelerate fills an unset ``gradient_clipping`` with 1.0 whatever
    ``optim.max_grad_norm`` says, and an accumulation count from the launch
    configuration would override the recipe's.
    """
    config["train_micro_batch_size_per_gpu"] = recipe.training.batch_size
    config["gradient_accumulation_steps"] = recipe.training.gradient_accumulation_steps
    config["gradient_clipping"] = recipe.optim.max_grad_norm


def weight_dtype(accelerator: Accelerator) -> torch.dtype:
    """dtype of frozen weights: bf16 / fp16 under mixed precision, else float32."""
    return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(accelerator.mixed_precision, torch.float32)


def place_models(models: FluxFillModels, recipe: TrainRecipe, accelerator: Accelerator) -> None:
    """Move to the device in the mixed-precision dtype; trained weights in float32 unless the
    optimizer updates them in bfloat16 (``*_bf16``).

    PyTorch's cuDNN attention backend is switched off for the process: its
    backward pass failed on FLUX-size inputs on an H200 (torch 2.11, cuDNN
    9.19: ``mha_graph.execute(...).is_good()``, or an illegal memory access
    reported by the next cuBLAS call); the flash and memory-efficient kernels
    take over.
    """
    torch.backends.cuda.enable_cudnn_sdp(False)
    dtype = weight_dtype(accelerator)
    cast = {} if dtype == torch.float32 else {"dtype": dtype}
    models.vae.requires_grad_(False).eval()
    models.vae.to(accelerator.device, **cast)
    models.transformer.to(accelerator.device, **cast)
    if not recipe.optimizer.endswith("_bf16"):
        cast_training_params(models.transformer, dtype=torch.float32)
    if recipe.training.gradient_checkpointing:
        models.transformer.enable_gradient_checkpointing()
    models.transformer.train()


def save_checkpoint(accelerator: Accelerator, output: Path, step: int, keep_last: int) -> Path:
    """accelerate state (trained weights, optimizer, schedule, RNG), then the step; prune old ones."""
    directory = checkpoints_dir(output) / f"step-{step:07d}"
    accelerator.save_state(str(directory))
    if accelerator.is_main_process:
        write_state(directory, step)
        prune_checkpoints(output, keep_last)
    accelerator.wait_for_everyone()
    return directory


def resume(accelerator: Accelerator, output: Path, recipe: TrainRecipe) -> int:
    """Load the newest checkpoint when resuming is on; return the optimizer steps already done."""
    checkpoint = latest_checkpoint(output) if recipe.checkpoint.resume else None
    if checkpoint is None:
        return 0
    accelerator.load_state(str(checkpoint))
    step = read_state(checkpoint)
    logger.info("resumed from %s (step %d)", checkpoint, step)
    return step


def save_weights(
    accelerator: Accelerator,
    transformer: FluxTransformer2DModel,
    recipe: TrainRecipe,
    output: Path,
    step: int,
) -> Path:
    """Final weights under ``RUN/weights``, plus ``weights.json``: the LoRA file that
    ``FluxFillPipeline.load_lora_weights`` reads (``lora``), the trained parameters by name
    (``attention``, loaded over the base transformer), or a whole ``transformer/`` folder (``full``)."""
    directory = output / WEIGHTS_DIR
    if accelerator.is_main_process:
        model = accelerator.unwrap_model(transformer)
        directory.mkdir(parents=True, exist_ok=True)
        if recipe.training.mode == "full":
            model.save_pretrained(str(directory / "transformer"))
        else:
            save_trainable(model, recipe.training.mode, directory)
        info = {
            "mode": recipe.training.mode,
            "base": recipe.model.path,
            "revision": recipe.model.revision,
            "step": step,
        }
        (directory / WEIGHTS_INFO).write_text(json.dumps(info, indent=2) + "\n")
    accelerator.wait_for_everyone()
    return directory


def fill_pipeline(models: FluxFillModels, transformer: FluxTransformer2DModel) -> FluxFillPipeline:
    """An inference pipeline around the given transformer, without text encoders (embeddings are cached)."""
    pipeline = FluxFillPipeline(
        scheduler=cast(
            FlowMatchEulerDiscreteScheduler,
            FlowMatchEulerDiscreteScheduler.from_config(models.scheduler.config),
        ),
        vae=models.vae,
        # diffusers registers a None component as absent but annotates the text models as required.
        text_encoder=None,  # pyright: ignore[reportArgumentType]
        tokenizer=None,  # pyright: ignore[reportArgumentType]
        text_encoder_2=None,  # pyright: ignore[reportArgumentType]
        tokenizer_2=None,
        transformer=transformer,
    )
    pipeline.set_progress_bar_config(disable=True)
    return pipeline


def render_tryon(
    pipeline: FluxFillPipeline,
    canvas: Canvas,
    prompt: str,
    prompts: PromptCache,
    num_inference_steps: int,
    guidance_scale: float,
    seed: int,
) -> Image.Image:
    """Repaint the canvas's masked region and return the person half (W x H, RGB)."""
    transformer = pipeline.transformer
    prompt_embeds, pooled = prompts.batch([prompt], transformer.device, transformer.dtype)
    height, width = canvas.image.shape[-2:]
    # diffusers annotates image and mask_image as tensors although it preprocesses PIL images, and
    # the embeddings as the legacy torch.FloatTensor.
    output = pipeline(
        image=Image.fromarray(to_uint8(canvas.image)),  # pyright: ignore[reportArgumentType]
        mask_image=Image.fromarray(to_uint8(canvas.mask)[..., 0]),  # pyright: ignore[reportArgumentType]
        prompt_embeds=cast(torch.FloatTensor, prompt_embeds),
        pooled_prompt_embeds=cast(torch.FloatTensor, pooled),
        height=height,
        width=width,
        num_inference_steps=num_inference_steps,
        guidance_scale=guidance_scale,
        generator=torch.Generator().manual_seed(seed),
        output_type="pil",
    )
    result = cast(FluxPipelineOutput, output).images[0]  # return_dict is left at True
    return result.crop((width // 2, 0, width, height))


def validation_grid(
    pipeline: FluxFillPipeline,
    samples: list[tuple[str, str, Canvas]],
    prompts: PromptCache,
    recipe: TrainRecipe,
) -> Image.Image:
    """One row per held-back sample: garment | person | mask | result, each W x H."""
    half = recipe.canvas.half_width_px
    rows = []
    for _, prompt, canvas in samples:
        result = render_tryon(
            pipeline,
            canvas,
            prompt,
            prompts,
            recipe.validation.num_inference_steps,
            recipe.validation.guidance_scale,
            recipe.training.seed,
        )
        image, mask = to_uint8(canvas.image), to_uint8(canvas.mask)
        rows.append(
            np.concatenate([image[:, :half], image[:, half:], mask[:, half:], np.asarray(result)], axis=1)
        )
    return Image.fromarray(np.concatenate(rows, axis=0))


def run_validation(
    accelerator: Accelerator,
    models: FluxFillModels,
    samples: list[tuple[str, str, Canvas]],
    prompts: PromptCache,
    recipe: TrainRecipe,
    output: Path,
    step: int,
) -> Path | None:
    """Save ``RUN/validation/step-NNNNNNN.png`` (main process only); the model goes back to training."""
    if not samples or not accelerator.is_main_process:
        return None
    transformer = accelerator.unwrap_model(models.transformer)
    transformer.eval()
    with torch.no_grad(), accelerator.autocast():
        grid = validation_grid(fill_pipeline(models, transformer), samples, prompts, recipe)
    transformer.train()
    path = output / "validation" / f"step-{step:07d}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    grid.save(path)
    record_grid(accelerator, grid, step)
    return path


def prepare_prompts(
    output: Path, scan: ShardScan, recipe: TrainRecipe, accelerator: Accelerator
) -> PromptCache:
    """Every prompt the data needs, from ``RUN/prompt_embeds.safetensors`` (encoded there if missing)."""
    wanted = set(scan.prompts) | {recipe.conditioning.prompt}
    path = output / CACHE_FILE
    if accelerator.is_main_process:
        ensure_prompt_cache(
            path,
            wanted,
            model_path=recipe.model.path,
            revision=recipe.model.revision,
            max_sequence_length=recipe.conditioning.max_sequence_length,
            device=accelerator.device,
            dtype=weight_dtype(accelerator),
        )
    accelerator.wait_for_everyone()
    return PromptCache.load(path)


def optimizer_step(
    accelerator: Accelerator,
    models: FluxFillModels,
    batches: Iterator[Batch],
    parameters: list[torch.nn.Parameter],
    optimizer: torch.optim.Optimizer,
    lr_scheduler: torch.optim.lr_scheduler.LRScheduler,
    prompts: PromptCache,
    recipe: TrainRecipe,
) -> tuple[float, float | None]:
    """Run the micro-batches of one optimizer step.

    Returns their mean loss over the global batch and the gradient norm before
    clipping (``None`` where the engine clips by itself, as DeepSpeed does).
    """
    losses = []
    grad_norm = None
    for _ in range(recipe.training.gradient_accumulation_steps):
        batch = next(batches)
        with accelerator.accumulate(models.transformer), accelerator.autocast():
            loss = compute_loss(models, batch, prompts, recipe)
            accelerator.backward(loss)
            if accelerator.sync_gradients:
                norm = accelerator.clip_grad_norm_(parameters, recipe.optim.max_grad_norm)
                grad_norm = None if norm is None else float(norm)
            optimizer.step()
            lr_scheduler.step()
            optimizer.zero_grad(set_to_none=True)
        losses.append(loss.detach())
    gathered = cast(torch.Tensor, accelerator.gather(torch.stack(losses).mean()[None]))
    return gathered.mean().item(), grad_norm


def prepare_data(output: Path, urls: list[str], recipe: TrainRecipe, accelerator: Accelerator) -> ShardScan:
    """What the shards hold (``RUN/data.json``): scanned once by the main process, then reused.

    A resumed run, and every other process, reads the file instead of the
    shards; a changed shard list (paths, sizes) or data setting scans again.
    """
    path = output / DATA_FILE
    if accelerator.is_main_process:
        scan = cached_scan(path, urls, recipe)
        logger.info("data: %d samples, garment sources %s", scan.samples, scan.by_source)
    accelerator.wait_for_everyone()
    scan = read_scan(path, urls, recipe)
    if scan is None:
        raise RuntimeError(f"{path}: the main process wrote no scan of these shards")
    return scan


def train(
    shards: Path,
    output: Path,
    recipe: TrainRecipe,
    *,
    models: FluxFillModels | None = None,
    on_step: Callable[[StepRecord], None] | None = None,
) -> TrainResult:
    """Train on the shards of a dataset (``OUT``, a folder of tars or one tar) into ``output`` (RUN).

    ``models`` defaults to :func:`load_models` of ``recipe.model.path``.
    ``on_step(record)`` is called after every optimizer step in every process
    (progress displays, benchmarks).
    """
    output.mkdir(parents=True, exist_ok=True)
    accelerator = make_accelerator(recipe, output)
    urls = shard_urls(shards, recipe.data.category)
    recipe_dump = recipe.model_dump(mode="json")
    if accelerator.is_main_process:
        (output / RECIPE_FILE).write_text(yaml.safe_dump(recipe_dump, sort_keys=False))
    scan = prepare_data(output, urls, recipe, accelerator)
    prompts = prepare_prompts(output, scan, recipe, accelerator)
    models = models if models is not None else load_models(recipe)
    models.scheduler = copy.deepcopy(models.scheduler)
    validation = held_out(urls, recipe)
    parameters = configure_trainable(models.transformer, recipe)
    logger.info(
        "mode %s: %.3g M trained parameters, optimizer %s, %d process(es)",
        recipe.training.mode,
        sum(parameter.numel() for parameter in parameters) / 1e6,
        recipe.optimizer,
        accelerator.num_processes,
    )
    place_models(models, recipe, accelerator)
    optimizer, lr_scheduler = build_optimizer(parameters, recipe, accelerator.num_processes)
    register_trainable_state_hooks(accelerator, recipe)
    models.transformer, optimizer, lr_scheduler = accelerator.prepare(
        models.transformer, optimizer, lr_scheduler
    )
    start_tracking(accelerator, recipe_dump)
    step = resume(accelerator, output, recipe)
    consumed = step * recipe.training.gradient_accumulation_steps
    own_batches = TrainingBatches(
        urls,
        recipe,
        scan,
        held_keys=frozenset(key for key, _, _ in validation),
        rank=accelerator.process_index,
        world_size=accelerator.num_processes,
        consumed_batches=consumed,
    )
    batches = iter(training_loader(own_batches, recipe.data.num_workers))
    losses: dict[int, float] = {}
    while step < recipe.training.steps:
        started = time.perf_counter()
        loss, grad_norm = optimizer_step(
            accelerator, models, batches, parameters, optimizer, lr_scheduler, prompts, recipe
        )
        step += 1
        losses[step] = loss
        record = StepRecord(
            step=step,
            total_steps=recipe.training.steps,
            loss=loss,
            lr=lr_scheduler.get_last_lr()[0],
            grad_norm=grad_norm,
            seconds=time.perf_counter() - started,
        )
        record_step(accelerator, output, record)
        if on_step is not None:
            on_step(record)
        if step % recipe.checkpoint.every_steps == 0 or step == recipe.training.steps:
            save_checkpoint(accelerator, output, step, recipe.checkpoint.keep_last)
        every = recipe.validation.every_steps
        if every is not None and (step % every == 0 or step == recipe.training.steps):
            run_validation(accelerator, models, validation, prompts, recipe, output, step)
    weights = save_weights(accelerator, models.transformer, recipe, output, step)
    finish_tracking(accelerator)
    return TrainResult(output=output, steps=step, losses=losses, weights=weights, data=scan)
