"""Tiny random FLUX Fill components built from configs (no download), like diffusers' own pipeline tests.

The transformer keeps FLUX Fill's interface (384 input channels: 64 noisy +
64 masked image + 256 mask, 64 output channels) with one block of each kind;
the VAE has four levels so that, as in FLUX, one latent pixel covers 8 x 8
image pixels; the text encoders have a 32-wide output and their tokenizers
are built from an in-memory vocabulary.
"""

from __future__ import annotations

import torch
from diffusers import AutoencoderKL, FlowMatchEulerDiscreteScheduler, FluxFillPipeline, FluxTransformer2DModel
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer, T5Config, T5EncoderModel, T5Tokenizer

from vtondata.train.conditioning import PromptCache
from vtondata.train.config import TrainRecipe, load_train_recipe
from vtondata.train.data import Batch, TrainingBatches, scan_shards
from vtondata.train.flux_fill import FluxFillModels

TEXT_DIM = 32
SEQUENCE_LENGTH = 8
HALF_WIDTH_PX, HEIGHT_PX = 32, 48
WORDS = ("a", "photo", "of", "person", "wearing", "the", "garment", "shirt", "red", "blue")


def tiny_transformer(seed: int = 0, heads: int = 2) -> FluxTransformer2DModel:
    """``heads`` x 16 is the inner width; 2 heads (32) is enough for shapes, overfitting wants 8 (128)."""
    torch.manual_seed(seed)
    return FluxTransformer2DModel(
        patch_size=1,
        in_channels=384,
        out_channels=64,
        num_layers=1,
        num_single_layers=1,
        attention_head_dim=16,
        num_attention_heads=heads,
        joint_attention_dim=TEXT_DIM,
        pooled_projection_dim=TEXT_DIM,
        guidance_embeds=True,
        axes_dims_rope=(4, 6, 6),
    )


def tiny_vae(seed: int = 0) -> AutoencoderKL:
    torch.manual_seed(seed)
    return AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D"] * 4,
        up_block_types=["UpDecoderBlock2D"] * 4,
        block_out_channels=(4, 4, 4, 4),
        layers_per_block=1,
        latent_channels=16,
        norm_num_groups=2,
        sample_size=32,
        use_quant_conv=False,
        use_post_quant_conv=False,
        shift_factor=0.0609,
        scaling_factor=1.5035,
    )


def tiny_models(seed: int = 0, heads: int = 2) -> FluxFillModels:
    return FluxFillModels(
        transformer=tiny_transformer(seed, heads),
        vae=tiny_vae(seed),
        scheduler=FlowMatchEulerDiscreteScheduler(),
    )


def tiny_text_components(seed: int = 0) -> dict[str, object]:
    """CLIP and T5 encoders with tokenizers over :data:`WORDS`, keyed as FluxFillPipeline names them."""
    torch.manual_seed(seed)
    words = {f"{word}</w>": index + 2 for index, word in enumerate(WORDS)}
    clip_vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1, **words}
    tokenizer = CLIPTokenizer(vocab=clip_vocab, merges=[], model_max_length=77)
    t5_vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), *((f"▁{w}", -1.0) for w in WORDS)]
    tokenizer_2 = T5Tokenizer(vocab=t5_vocab, extra_ids=0)
    clip = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(clip_vocab),
            hidden_size=TEXT_DIM,
            intermediate_size=37,
            num_attention_heads=4,
            num_hidden_layers=1,
            projection_dim=TEXT_DIM,
            max_position_embeddings=77,
            bos_token_id=0,
            eos_token_id=1,
            pad_token_id=1,
        )
    )
    t5 = T5EncoderModel(
        T5Config(
            vocab_size=len(t5_vocab),
            d_model=TEXT_DIM,
            d_kv=8,
            d_ff=37,
            num_heads=4,
            num_layers=1,
            decoder_start_token_id=0,
            pad_token_id=0,
            eos_token_id=1,
            dropout_rate=0.0,
        )
    )
    return {"text_encoder": clip, "tokenizer": tokenizer, "text_encoder_2": t5, "tokenizer_2": tokenizer_2}


def tiny_pipeline(seed: int = 0) -> FluxFillPipeline:
    models = tiny_models(seed)
    text = tiny_text_components(seed)
    return FluxFillPipeline(
        scheduler=models.scheduler, vae=models.vae, transformer=models.transformer, **text
    )


def random_prompt_cache(prompts: list[str], seed: int = 0) -> PromptCache:
    """Stand-in for encoded prompts: (SEQUENCE_LENGTH, TEXT_DIM) and (TEXT_DIM,) random tensors."""
    generator = torch.Generator().manual_seed(seed)
    return PromptCache(
        {prompt: torch.randn(SEQUENCE_LENGTH, TEXT_DIM, generator=generator) for prompt in prompts},
        {prompt: torch.randn(TEXT_DIM, generator=generator) for prompt in prompts},
    )


def tiny_recipe(**overrides: object) -> TrainRecipe:
    """The bundled recipe at 32x48 halves, float32, no workers, short schedule; dotted ``overrides``."""
    base: dict[str, object] = {
        "canvas.half_width_px": HALF_WIDTH_PX,
        "canvas.half_height_px": HEIGHT_PX,
        "data.num_workers": 0,
        "data.shuffle_buffer": 4,
        "training.mode": "full",
        "training.steps": 4,
        "training.batch_size": 2,
        "training.gradient_accumulation_steps": 1,
        "training.mixed_precision": "fp32",
        "training.gradient_checkpointing": False,
        "optim.learning_rate": 1e-3,
        "optim.warmup_steps": 0,
        "optim.lr_scheduler": "constant",
        "lora.rank": 4,
        "lora.alpha": 8,
        "checkpoint.every_steps": 2,
        "checkpoint.keep_last": 3,
        "validation.every_steps": None,
        "validation.num_samples": 1,
        "validation.num_inference_steps": 2,
        "conditioning.max_sequence_length": SEQUENCE_LENGTH,
    }
    return load_train_recipe("flux-fill", {**base, **overrides})


def first_batch(urls: list[str], recipe: TrainRecipe) -> Batch:
    """The first training batch of one process over ``urls`` (held-out samples not left out)."""
    return next(iter(TrainingBatches(urls, recipe, scan_shards(urls, recipe))))
