"""Typed training recipes: ``pipelines/train/*.yaml`` validated once into :class:`TrainRecipe`.

Same rules as build recipes (:mod:`vtondata.config`): strict frozen models,
dotted ``--set`` overrides applied to the plain dict before one validation,
and one ``section.field: message`` line per error with a close-match hint for
unknown keys. Sizes are in pixels of the canvas, fractions are of the canvas
half's height.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from vtondata.config import load_yaml_model, pipelines_dir
from vtondata.config.base import RecipeModel
from vtondata.errors import RecipeError

TRAIN_RECIPE_SCHEMA_VERSION = "1.0.0"
DEFAULT_TRAIN_RECIPE = "flux-fill"
FLUX_ATTENTION_LORA_TARGETS = (
    "to_q",
    "to_k",
    "to_v",
    "to_out.0",
    "add_q_proj",
    "add_k_proj",
    "add_v_proj",
    "to_add_out",
)


class ModelSection(RecipeModel):
    path: str = Field(
        default="black-forest-labs/FLUX.1-Fill-dev",
        description="Base FluxFillPipeline: a local folder in diffusers layout or a Hugging Face hub id.",
    )
    revision: str | None = Field(
        default=None, description="Hub revision (branch, tag or commit); null = default."
    )


class CanvasSection(RecipeModel):
    half_width_px: int = Field(
        default=576, ge=16, multiple_of=16, description="Width of each half (garment, person)."
    )
    half_height_px: int = Field(default=768, ge=16, multiple_of=16, description="Height of the canvas.")


class DataSection(RecipeModel):
    shuffle_buffer: int = Field(
        default=256,
        ge=1,
        description="Samples in the seeded shuffle buffer of the global sample order (one buffer per "
        "process and DataLoader worker, all holding the same samples).",
    )
    num_workers: int = Field(default=2, ge=0, description="DataLoader worker processes (0 = main process).")
    category: Literal["upper", "lower", "dress"] | None = Field(
        default=None,
        description="The category whose masks to train on, in a dataset built with --category all "
        "(required there; its samples accepted for that category). A single-category dataset needs "
        "none, or its own.",
    )
    missing_cloth: Literal["person_crop", "skip"] = Field(
        default="person_crop",
        description="Without cloth.jpg: cut the garment out of the person photo with garment_mask.png "
        "(person_crop), or skip the sample (counted as data.no_cloth).",
    )


class MaskAugmentSection(RecipeModel):
    enabled: bool = Field(
        default=True,
        description="Randomly grow the repaint mask against mask-shape shortcuts (it never shrinks: a "
        "shrunk mask would expose the old garment's outline).",
    )
    probability: float = Field(
        default=0.8, ge=0, le=1, description="Chance that a sample's mask is changed at all."
    )
    max_dilation_frac: float = Field(default=0.04, ge=0, le=0.5, description="Largest growth radius.")
    max_shift_frac: float = Field(
        default=0.02,
        ge=0,
        le=0.5,
        description="Largest shift in x and y of the grown copy added to the mask.",
    )


class ConditioningSection(RecipeModel):
    prompt: str = Field(
        default="The pair of images highlights a garment and its fit on a person; "
        "[IMAGE1] the garment alone; [IMAGE2] the same garment worn by the person.",
        description="Fixed prompt used for every sample without a caption.",
    )
    use_captions: bool = Field(
        default=True, description="Use meta.json's 'caption' string when a sample has one."
    )
    max_sequence_length: int = Field(default=512, ge=1, le=512, description="T5 tokens per prompt.")


class OptimSection(RecipeModel):
    optimizer: Literal["auto", "adamw", "adamw_bf16", "adafactor_bf16"] = Field(
        default="auto",
        description="adamw: torch AdamW on float32 trained weights; adamw_bf16 / adafactor_bf16: trained "
        "weights kept in bfloat16 and updated with stochastic rounding (vtondata.train.optim), for full "
        "fine-tuning on one GPU; auto: adafactor_bf16 in full mode under bf16, else adamw.",
    )
    learning_rate: float = Field(default=1e-5, gt=0, description="Peak learning rate.")
    lr_scheduler: Literal["constant", "constant_with_warmup", "linear", "cosine"] = Field(
        default="constant_with_warmup", description="diffusers.optimization.get_scheduler name."
    )
    warmup_steps: int = Field(default=100, ge=0, description="Optimizer steps of linear warm-up.")
    weight_decay: float = Field(default=1e-2, ge=0)
    adam_beta1: float = Field(default=0.9, ge=0, lt=1)
    adam_beta2: float = Field(default=0.999, ge=0, lt=1)
    adam_epsilon: float = Field(default=1e-8, gt=0)
    max_grad_norm: float = Field(default=1.0, gt=0, description="Gradient clipping norm.")


class LoraSection(RecipeModel):
    rank: int = Field(default=64, ge=1, description="LoRA rank r.")
    alpha: float = Field(default=64, gt=0, description="LoRA alpha; the update is scaled by alpha / rank.")
    target_modules: list[str] = Field(
        default=list(FLUX_ATTENTION_LORA_TARGETS), min_length=1, description="Module names that get adapters."
    )


class TrainingSection(RecipeModel):
    mode: Literal["attention", "full", "lora"] = Field(
        default="lora",
        description="attention: fine-tune only attention layers (catvton-flux's 'full'); full: every "
        "transformer weight; lora: peft adapters on lora.target_modules.",
    )
    steps: int = Field(default=10_000, ge=1, description="Optimizer steps in the whole run.")
    batch_size: int = Field(default=1, ge=1, description="Samples per micro-batch per process.")
    gradient_accumulation_steps: int = Field(default=4, ge=1, description="Micro-batches per optimizer step.")
    mixed_precision: Literal["fp32", "fp16", "bf16"] = Field(
        default="bf16", description="Compute precision (accelerate mixed precision; fp32 = none)."
    )
    gradient_checkpointing: bool = Field(default=True, description="Recompute activations to save memory.")
    seed: int = Field(default=0, ge=0, description="Seeds data order, augmentation, noise and timesteps.")
    timestep_sampling: Literal["uniform", "logit_normal", "mode"] = Field(
        default="logit_normal",
        description="Density of training timesteps (SD3 paper, diffusers training_utils).",
    )
    logit_mean: float = Field(
        default=0.0,
        description="Mean of the logit-normal density of sigma: above 0 = noisier training samples.",
    )
    logit_std: float = Field(default=1.0, gt=0, description="Std of the logit-normal density.")
    mode_scale: float = Field(default=1.29, description="Scale of the 'mode' density.")
    loss_weighting: Literal["none", "sigma_sqrt", "cosmap"] = Field(
        default="none", description="Per-timestep loss weighting (compute_loss_weighting_for_sd3)."
    )
    masked_loss_weight: float = Field(
        default=1.0,
        ge=1,
        description="Weight of latent tokens inside the repaint mask relative to the rest (1 = plain mean).",
    )
    guidance_scale: float = Field(
        default=30.0,
        ge=0,
        description="Guidance value fed to a guidance-distilled transformer (FLUX.1 Fill dev).",
    )


class CheckpointSection(RecipeModel):
    every_steps: int = Field(
        default=500, ge=1, description="Save a resumable checkpoint every N optimizer steps."
    )
    keep_last: int = Field(
        default=2,
        ge=1,
        description="Complete checkpoints kept; older ones (and older incomplete ones) are deleted.",
    )
    resume: bool = Field(
        default=True, description="Continue from the newest checkpoint under RUN/checkpoints."
    )


class ValidationSection(RecipeModel):
    every_steps: int | None = Field(
        default=500, ge=1, description="Render a validation grid every N steps; null = off."
    )
    num_samples: int = Field(default=2, ge=0, description="Samples held back from training for validation.")
    num_inference_steps: int = Field(default=28, ge=1)
    guidance_scale: float = Field(default=30.0, ge=0)


class TrainRecipe(RecipeModel):
    """A whole training run of the bundled Flux Fill try-on trainer."""

    schema_version: str = Field(
        default=TRAIN_RECIPE_SCHEMA_VERSION, description="Train recipe format (semver)."
    )
    name: str = Field(description="Short recipe name.")
    description: str = Field(default="", description="What this recipe is for.")
    model: ModelSection = Field(default_factory=ModelSection)
    canvas: CanvasSection = Field(default_factory=CanvasSection)
    data: DataSection = Field(default_factory=DataSection)
    mask_augment: MaskAugmentSection = Field(default_factory=MaskAugmentSection)
    conditioning: ConditioningSection = Field(default_factory=ConditioningSection)
    optim: OptimSection = Field(default_factory=OptimSection)
    lora: LoraSection = Field(default_factory=LoraSection)
    training: TrainingSection = Field(default_factory=TrainingSection)
    checkpoint: CheckpointSection = Field(default_factory=CheckpointSection)
    validation: ValidationSection = Field(default_factory=ValidationSection)

    @model_validator(mode="after")
    def _warmup_fits(self) -> TrainRecipe:
        if self.optim.warmup_steps > self.training.steps:
            raise ValueError("optim.warmup_steps must not exceed training.steps")
        return self

    @model_validator(mode="after")
    def _bf16_optimizers_need_bf16(self) -> TrainRecipe:
        if self.optim.optimizer.endswith("_bf16") and self.training.mixed_precision != "bf16":
            raise ValueError(f"optim.optimizer {self.optim.optimizer} needs training.mixed_precision bf16")
        return self

    @property
    def optimizer(self) -> str:
        """The optimizer this run uses, with ``auto`` resolved (see ``optim.optimizer``)."""
        if self.optim.optimizer != "auto":
            return self.optim.optimizer
        full_bf16 = self.training.mode == "full" and self.training.mixed_precision == "bf16"
        return "adafactor_bf16" if full_bf16 else "adamw"


def train_recipes_dir() -> Path:
    return pipelines_dir() / "train"


def load_train_recipe(
    name_or_path: str | Path = DEFAULT_TRAIN_RECIPE, overrides: dict[str, Any] | None = None
) -> TrainRecipe:
    """Load a bundled train recipe by name (``"flux-fill"``) or a YAML file; apply dotted overrides."""
    candidate = Path(name_or_path)
    path = (
        candidate if candidate.suffix in {".yaml", ".yml"} else train_recipes_dir() / f"{name_or_path}.yaml"
    )
    if not path.is_file():
        raise RecipeError(f"train recipe not found: {path}")
    return load_yaml_model(path, TrainRecipe, overrides, "train recipe")


def train_recipe_json_schema() -> dict[str, Any]:
    """JSON Schema of a train recipe file (schemas/train.schema.json)."""
    schema = TrainRecipe.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://vtondata.dev/schemas/train.schema.json"
    return schema
