"""Prompt embeddings computed once, cached on disk, and looked up per batch during training.

FLUX conditions on two text encoders: T5 gives ``prompt_embeds``
``(L, 4096)`` (L = ``max_sequence_length`` tokens, padded) and CLIP gives
``pooled_prompt_embeds`` ``(768,)``. Together they weigh about 9.5 GB in bf16,
so the trainer encodes every prompt it will need (the fixed prompt plus any
captions) before training, writes them to ``RUN/prompt_embeds.safetensors``,
and frees the encoders. Encoding goes through ``FluxFillPipeline.encode_prompt``
itself, so the cached tensors are exactly what inference computes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

import torch
from diffusers import FluxFillPipeline
from safetensors import safe_open
from safetensors.torch import load_file, save_file

CACHE_FILE = "prompt_embeds.safetensors"


def prompt_id(prompt: str) -> str:
    return hashlib.sha256(prompt.encode("utf-8")).hexdigest()[:32]


class PromptCache:
    """Cached embeddings by prompt text: ``embeds[p]`` (L, D_t5) and ``pooled[p]`` (D_clip,), CPU tensors."""

    def __init__(self, embeds: dict[str, torch.Tensor], pooled: dict[str, torch.Tensor]) -> None:
        if embeds.keys() != pooled.keys():
            raise ValueError("prompt embeddings and pooled embeddings cover different prompts")
        self.embeds = embeds
        self.pooled = pooled

    @property
    def prompts(self) -> frozenset[str]:
        return frozenset(self.embeds)

    def batch(
        self, prompts: list[str], device: torch.device, dtype: torch.dtype
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, L, D_t5) and (B, D_clip) for the batch's prompts; a ``KeyError`` names an uncached one."""
        missing = [prompt for prompt in prompts if prompt not in self.embeds]
        if missing:
            raise KeyError(f"prompt not in the embedding cache: {missing[0]!r}")
        embeds = torch.stack([self.embeds[prompt] for prompt in prompts])
        pooled = torch.stack([self.pooled[prompt] for prompt in prompts])
        return embeds.to(device=device, dtype=dtype), pooled.to(device=device, dtype=dtype)

    def save(self, path: Path) -> None:
        tensors: dict[str, torch.Tensor] = {}
        for prompt in self.embeds:
            tensors[f"{prompt_id(prompt)}.embeds"] = self.embeds[prompt].contiguous()
            tensors[f"{prompt_id(prompt)}.pooled"] = self.pooled[prompt].contiguous()
        path.parent.mkdir(parents=True, exist_ok=True)
        save_file(tensors, str(path), metadata={"prompts": json.dumps(sorted(self.embeds))})

    @classmethod
    def load(cls, path: Path) -> PromptCache:
        with safe_open(str(path), framework="pt") as handle:
            prompts = json.loads((handle.metadata() or {}).get("prompts", "[]"))
        tensors = load_file(str(path))
        return cls(
            {prompt: tensors[f"{prompt_id(prompt)}.embeds"] for prompt in prompts},
            {prompt: tensors[f"{prompt_id(prompt)}.pooled"] for prompt in prompts},
        )


def encode_prompts(
    text_pipeline: FluxFillPipeline, prompts: Iterable[str], max_sequence_length: int
) -> PromptCache:
    """Run ``text_pipeline.encode_prompt`` (CLIP + T5) on each prompt; return CPU tensors."""
    embeds: dict[str, torch.Tensor] = {}
    pooled: dict[str, torch.Tensor] = {}
    with torch.no_grad():
        for prompt in sorted(set(prompts)):
            prompt_embeds, pooled_embeds, _ = text_pipeline.encode_prompt(
                prompt=prompt, prompt_2=None, max_sequence_length=max_sequence_length
            )
            assert prompt_embeds is not None and pooled_embeds is not None
            embeds[prompt] = prompt_embeds[0].cpu()
            pooled[prompt] = pooled_embeds[0].cpu()
    return PromptCache(embeds, pooled)


def load_text_pipeline(
    model_path: str, revision: str | None, device: torch.device, dtype: torch.dtype
) -> FluxFillPipeline:
    """The base pipeline with only its tokenizers and text encoders loaded (no transformer, no VAE)."""
    pipeline = FluxFillPipeline.from_pretrained(
        model_path, revision=revision, transformer=None, vae=None, dtype=dtype
    )
    return pipeline.to(device)


def ensure_prompt_cache(
    path: Path,
    prompts: Iterable[str],
    *,
    model_path: str,
    revision: str | None,
    max_sequence_length: int,
    device: torch.device,
    dtype: torch.dtype,
) -> PromptCache:
    """Load the cache at ``path``; encode and add only the prompts it lacks (loading the encoders then)."""
    wanted = set(prompts)
    cache = PromptCache.load(path) if path.is_file() else PromptCache({}, {})
    missing = wanted - cache.prompts
    if not missing:
        return cache
    text_pipeline = load_text_pipeline(model_path, revision, device, dtype)
    fresh = encode_prompts(text_pipeline, missing, max_sequence_length)
    del text_pipeline
    merged = PromptCache({**cache.embeds, **fresh.embeds}, {**cache.pooled, **fresh.pooled})
    merged.save(path)
    return merged
