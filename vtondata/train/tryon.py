"""One try-on image from a trained run: person photo + garment photo -> the person wearing the garment.

The run folder carries everything besides the base model: ``train.yaml`` (base
model path, canvas size, prompt), ``prompt_embeds.safetensors`` (so no text
encoder is loaded) and ``weights/`` (a LoRA file, the trained attention
parameters, or a whole transformer). Without ``--mask``, the person's repaint
mask is drawn by the same path as ``vtondata mask``: exactly as the dataset
given with ``--like`` drew its training masks, or by a named recipe.

The model repaints the person half of a canvas; :func:`paste_back` scales
that half back to the photo's own size and replaces only the masked pixels,
so everything the mask keeps is the original photo, pixel for pixel.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml
from diffusers import FluxFillPipeline, FluxTransformer2DModel
from PIL import Image

from vtondata.errors import InputError
from vtondata.mask_like import MaskRecipe, mask_photos
from vtondata.output.format import decode_grey, decode_rgb
from vtondata.train.canvas import compose, fit, fit_box, to_binary, to_signed
from vtondata.train.checkpoints import load_trainable
from vtondata.train.conditioning import CACHE_FILE, PromptCache
from vtondata.train.config import TrainRecipe
from vtondata.train.flux_fill import RECIPE_FILE, WEIGHTS_DIR, WEIGHTS_INFO, render_tryon


@dataclass
class TryOnModel:
    """A FluxFillPipeline with the trained weights, the run's recipe and its cached prompt embeddings."""

    pipeline: FluxFillPipeline
    recipe: TrainRecipe
    prompts: PromptCache


def run_weights_dir(weights: Path) -> Path:
    """``RUN/weights`` of a run given as ``RUN`` or ``RUN/weights``; an ``InputError`` if it is none."""
    weights_dir = weights if (weights / WEIGHTS_INFO).is_file() else weights / WEIGHTS_DIR
    if not (weights_dir / WEIGHTS_INFO).is_file() or not (weights_dir.parent / RECIPE_FILE).is_file():
        raise InputError(
            f"{weights}: not a training run (expected {RECIPE_FILE} and {WEIGHTS_DIR}/{WEIGHTS_INFO})"
        )
    return weights_dir


def load_tryon_model(weights: Path, device: torch.device | None = None) -> TryOnModel:
    """Load ``RUN`` (or ``RUN/weights``): the base pipeline from the run's recipe plus the trained weights."""
    weights_dir = run_weights_dir(weights)
    run = weights_dir.parent
    recipe = TrainRecipe.model_validate(yaml.safe_load((run / RECIPE_FILE).read_text(encoding="utf-8")))
    device = device or torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    components: dict[str, Any] = {
        "text_encoder": None,
        "tokenizer": None,
        "text_encoder_2": None,
        "tokenizer_2": None,
    }
    if recipe.training.mode == "full":
        components["transformer"] = FluxTransformer2DModel.from_pretrained(
            weights_dir / "transformer", dtype=dtype
        )
    pipeline = FluxFillPipeline.from_pretrained(
        recipe.model.path, revision=recipe.model.revision, dtype=dtype, **components
    )
    if recipe.training.mode == "lora":
        pipeline.load_lora_weights(str(weights_dir))
    elif recipe.training.mode == "attention":
        pipeline.transformer.requires_grad_(False)
        for name, parameter in pipeline.transformer.named_parameters():
            parameter.requires_grad_(".attn." in name)
        load_trainable(pipeline.transformer, "attention", weights_dir)
        pipeline.transformer.requires_grad_(False)
    pipeline.set_progress_bar_config(disable=True)
    return TryOnModel(pipeline=pipeline.to(device), recipe=recipe, prompts=PromptCache.load(run / CACHE_FILE))


def person_and_mask(person: Path, mask: Path | None, how: MaskRecipe | None) -> tuple[np.ndarray, np.ndarray]:
    """The person as HxWx3 uint8 RGB and its repaint mask as HxW uint8 (255 = repaint).

    With ``mask`` given, both are read as they are. Otherwise the photo goes
    through ``how``'s stages as ``vtondata mask`` runs them
    (:mod:`vtondata.mask_like`), and the stored ``person.jpg`` and
    ``agnostic_mask.png`` come back; a photo the stages refuse raises
    ``InputError`` with the reason.
    """
    if mask is not None:
        person_rgb, mask_u8 = decode_rgb(person.read_bytes()), decode_grey(mask.read_bytes())
        if mask_u8.shape != person_rgb.shape[:2]:
            (mask_h, mask_w), (photo_h, photo_w) = mask_u8.shape, person_rgb.shape[:2]
            raise InputError(
                f"{mask}: mask and person photo differ in size ({mask_w}x{mask_h} and {photo_w}x{photo_h})"
            )
        return person_rgb, mask_u8
    if how is None:
        raise InputError(f"{person}: give a mask, or a dataset or recipe to draw one as")
    sample = mask_photos([person], how)[0]
    if sample.rejection is not None:
        rejection = sample.rejection
        raise InputError(f"{person}: no usable mask ({rejection.code}: {rejection.message})")
    return decode_rgb(sample.files["person.jpg"]), decode_grey(sample.files["agnostic_mask.png"])


def tryon(
    model: TryOnModel,
    person_rgb: np.ndarray,
    mask_u8: np.ndarray,
    garment_rgb: np.ndarray,
    *,
    num_inference_steps: int | None = None,
    guidance_scale: float | None = None,
    seed: int = 0,
) -> Image.Image:
    """The person half of the repainted canvas (``canvas.half_width_px`` x ``half_height_px``, RGB).

    ``guidance_scale`` and ``num_inference_steps`` default to the recipe's
    validation settings; ``seed`` fixes the initial noise.
    """
    width, height = model.recipe.canvas.half_width_px, model.recipe.canvas.half_height_px
    canvas = compose(
        fit(to_signed(garment_rgb), width, height, is_mask=False),
        fit(to_signed(person_rgb), width, height, is_mask=False),
        fit(to_binary(mask_u8), width, height, is_mask=True),
    )
    validation = model.recipe.validation
    return render_tryon(
        model.pipeline,
        canvas,
        model.recipe.conditioning.prompt,
        model.prompts,
        num_inference_steps or validation.num_inference_steps,
        validation.guidance_scale if guidance_scale is None else guidance_scale,
        seed,
    )


def paste_back(person_rgb: np.ndarray, mask_u8: np.ndarray, person_half: Image.Image) -> Image.Image:
    """The photo at its own size with its masked pixels (``mask_u8 > 127``) taken from ``person_half``.

    ``person_half`` is the canvas half the photo was fitted into (scaled and
    letterboxed by :func:`~vtondata.train.canvas.fit`); the letterbox is cut
    off and the rest scaled back to the photo's size.
    """
    height, width = person_rgb.shape[:2]
    left, top, new_w, new_h = fit_box(width, height, *person_half.size)
    repainted = person_half.convert("RGB").crop((left, top, left + new_w, top + new_h))
    repainted = repainted.resize((width, height), Image.Resampling.LANCZOS)
    keep = Image.fromarray(np.where(mask_u8 > 127, 255, 0).astype(np.uint8))
    return Image.composite(repainted, Image.fromarray(person_rgb), keep)


def tryon_files(
    person: Path,
    garment: Path,
    weights: Path,
    output: Path,
    *,
    mask: Path | None = None,
    how: MaskRecipe | None = None,
    num_inference_steps: int | None = None,
    guidance_scale: float | None = None,
    seed: int = 0,
) -> Path:
    """File-to-file try-on, what ``vtondata tryon`` calls; writes ``output`` (format from its suffix).

    Without ``mask``, the mask is drawn as ``how`` says (a dataset's recipe,
    or a named one; :mod:`vtondata.mask_like`). The output has the person
    photo's size (the stored photo's, when the mask is drawn): see
    :func:`paste_back`.
    """
    run_weights_dir(weights)
    missing = [path for path in (person, garment, mask) if path is not None and not path.is_file()]
    if missing:
        raise InputError(f"{missing[0]}: no such file")
    person_rgb, mask_u8 = person_and_mask(person, mask, how)
    model = load_tryon_model(weights)
    image = tryon(
        model,
        person_rgb,
        mask_u8,
        decode_rgb(garment.read_bytes()),
        num_inference_steps=num_inference_steps,
        guidance_scale=guidance_scale,
        seed=seed,
    )
    image = paste_back(person_rgb, mask_u8, image)
    output.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    image.save(buffer, format=Image.registered_extensions().get(output.suffix.lower(), "PNG"))
    output.write_bytes(buffer.getvalue())
    return output
