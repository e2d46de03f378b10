"""Prompt embeddings: computed by FluxFillPipeline.encode_prompt with tiny CLIP / T5, cached and reloaded."""

import torch

from tests.train.tiny import SEQUENCE_LENGTH, TEXT_DIM, random_prompt_cache, tiny_pipeline
from vtondata.train.conditioning import PromptCache, encode_prompts, ensure_prompt_cache


def test_encoded_prompts_equal_the_pipeline_encoding():
    pipeline = tiny_pipeline()
    cache = encode_prompts(pipeline, ["a red shirt", "a photo of the person"], SEQUENCE_LENGTH)
    embeds, pooled, _ = pipeline.encode_prompt("a red shirt", None, max_sequence_length=SEQUENCE_LENGTH)
    torch.testing.assert_close(cache.embeds["a red shirt"], embeds[0].detach())
    torch.testing.assert_close(cache.pooled["a red shirt"], pooled[0].detach())
    assert cache.embeds["a red shirt"].shape == (SEQUENCE_LENGTH, TEXT_DIM)
    assert not torch.equal(cache.embeds["a red shirt"], cache.embeds["a photo of the person"])


def test_cache_round_trip_and_batch_lookup(tmp_path):
    cache = random_prompt_cache(["one", "two"])
    cache.save(tmp_path / "cache.safetensors")
    loaded = PromptCache.load(tmp_path / "cache.safetensors")
    assert loaded.prompts == {"one", "two"}
    embeds, pooled = loaded.batch(["two", "one", "two"], torch.device("cpu"), torch.float32)
    assert embeds.shape == (3, SEQUENCE_LENGTH, TEXT_DIM) and pooled.shape == (3, TEXT_DIM)
    assert torch.equal(embeds[0], cache.embeds["two"]) and torch.equal(pooled[1], cache.pooled["one"])


def test_ensure_loads_the_text_encoders_only_for_missing_prompts(tmp_path, tiny_base):
    path = tmp_path / "cache.safetensors"
    random_prompt_cache(["cached"]).save(path)
    kwargs = {"revision": None, "max_sequence_length": SEQUENCE_LENGTH, "device": torch.device("cpu")}
    missing_model = tmp_path / "no-model-here"
    assert ensure_prompt_cache(path, ["cached"], model_path=str(missing_model), dtype=torch.float32, **kwargs)
    merged = ensure_prompt_cache(
        path, ["cached", "a red shirt"], model_path=str(tiny_base), dtype=torch.float32, **kwargs
    )
    expected = encode_prompts(tiny_pipeline(), ["a red shirt"], SEQUENCE_LENGTH)
    torch.testing.assert_close(merged.embeds["a red shirt"], expected.embeds["a red shirt"])
    assert PromptCache.load(path).prompts == {"cached", "a red shirt"}
