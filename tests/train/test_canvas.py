"""The garment | person canvas, mask polarity and binarisation, and packing identical to FluxFillPipeline."""

import numpy as np
import pytest
import torch
from diffusers import FluxFillPipeline
from PIL import Image

from tests.train.tiny import tiny_models
from vtondata.train.canvas import (
    augment_mask,
    compose,
    fill_condition,
    fit,
    garment_from_person,
    latent_image_ids,
    pack_latents,
    to_binary,
    to_signed,
    to_uint8,
)
from vtondata.train.config import MaskAugmentSection
from vtondata.train.flux_fill import encode_latents, fill_inputs, vae_scale_factor

W, H = 32, 48


def _halves(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    garment = torch.rand(3, H, W, generator=generator) * 2 - 1
    person = torch.rand(3, H, W, generator=generator) * 2 - 1
    mask = torch.zeros(1, H, W)
    mask[:, 10:30, 5:25] = 1.0
    return garment, person, mask


def test_canvas_layout_polarity_and_masked_pixels():
    garment, person, mask = _halves()
    canvas = compose(garment, person, mask)
    assert canvas.image.shape == (3, H, 2 * W) and canvas.mask.shape == (1, H, 2 * W)
    assert torch.equal(canvas.image[:, :, :W], garment) and torch.equal(canvas.image[:, :, W:], person)
    assert canvas.mask[:, :, :W].sum() == 0, "the garment half is never repainted"
    assert torch.equal(canvas.mask[:, :, W:], mask), "1 = repaint on the person half"
    repaint = canvas.mask.bool().expand(3, -1, -1)
    assert torch.all(canvas.masked_image[repaint] == 0)
    assert torch.equal(canvas.masked_image[~repaint], canvas.image[~repaint])


def test_mask_is_binary_after_every_resize_and_padding_keeps():
    mask_u8 = np.zeros((64, 48), np.uint8)
    mask_u8[20:41, 7:30] = 255
    fitted = fit(to_binary(mask_u8), W, H, is_mask=True)
    assert fitted.shape == (1, H, W)
    assert set(fitted.unique().tolist()) == {0.0, 1.0}
    person = fit(to_signed(np.full((64, 64, 3), 0, np.uint8)), W, H, is_mask=False)
    assert person[:, 0, 0].tolist() == [1.0, 1.0, 1.0], "letterbox bars are white"
    assert fit(to_binary(np.full((64, 64), 255, np.uint8)), W, H, is_mask=True)[0, 0, 0] == 0, "bars keep"


def test_mask_augmentation_grows_the_mask_and_never_uncovers_a_pixel():
    """A shrunk or moved mask would uncover the old garment's outline: every augmented mask covers it."""
    _, _, mask = _halves()
    params = MaskAugmentSection(probability=1.0, max_dilation_frac=0.1, max_shift_frac=0.1)
    changed = [augment_mask(mask, params, torch.Generator().manual_seed(seed)) for seed in range(16)]
    assert all(set(m.unique().tolist()) <= {0.0, 1.0} for m in changed)
    assert all(torch.all(m >= mask) for m in changed), "no pixel of the original mask is given back"
    assert sum(not torch.equal(m, mask) for m in changed) >= 12
    assert len({m.sum().item() for m in changed}) > 4, "growth and shift vary per sample"
    shift_only = MaskAugmentSection(probability=1.0, max_dilation_frac=0.0, max_shift_frac=0.2)
    shifted = [augment_mask(mask, shift_only, torch.Generator().manual_seed(seed)) for seed in range(8)]
    assert all(torch.all(m >= mask) for m in shifted) and any(m.sum() > mask.sum() for m in shifted)
    off = MaskAugmentSection(enabled=False)
    assert torch.equal(augment_mask(mask, off, torch.Generator().manual_seed(0)), mask)


def test_garment_fallback_cuts_the_garment_out_of_the_person():
    _, person, mask = _halves()
    cut = garment_from_person(person, mask, margin_frac=0.0)
    assert cut.shape == (3, 20, 20)
    assert torch.equal(cut, person[:, 10:30, 5:25])
    assert garment_from_person(person, torch.zeros_like(mask)) is None


def test_pixel_mask_reads_like_the_pipeline_mask_processor():
    garment, person, mask = _halves()
    canvas = compose(garment, person, mask)
    pipeline = FluxFillPipeline(
        scheduler=None, vae=tiny_models().vae, text_encoder=None, tokenizer=None, text_encoder_2=None,
        tokenizer_2=None, transformer=None,
    )  # fmt: skip
    processed = pipeline.mask_processor.preprocess(Image.fromarray(to_uint8(canvas.mask)[..., 0]), H, 2 * W)
    assert torch.equal(processed[0], canvas.mask), "white (255) = 1 = repaint in both"


@pytest.mark.parametrize("batch_size", [1, 2])
def test_condition_equals_flux_fill_pipeline_prepare_mask_latents(batch_size):
    models = tiny_models()
    pipeline = FluxFillPipeline(
        scheduler=models.scheduler, vae=models.vae, text_encoder=None, tokenizer=None, text_encoder_2=None,
        tokenizer_2=None, transformer=models.transformer,
    )  # fmt: skip
    canvases = [compose(*_halves(seed)) for seed in range(batch_size)]
    image = torch.stack([c.image for c in canvases])
    mask = torch.stack([c.mask for c in canvases])
    with torch.no_grad():
        ours = fill_condition(
            encode_latents(models.vae, image * (1 - mask), torch.Generator().manual_seed(3)),
            mask,
            vae_scale_factor(models.vae),
        )
        mask_tokens, masked_tokens = pipeline.prepare_mask_latents(
            mask, image * (1 - mask), batch_size, 16, 1, H, 2 * W, torch.float32, "cpu",
            torch.Generator().manual_seed(3),
        )  # fmt: skip
    theirs = torch.cat([masked_tokens, mask_tokens], dim=-1)
    assert ours.shape == (batch_size, (H // 16) * (2 * W // 16), 64 + 256)
    torch.testing.assert_close(ours, theirs, rtol=0, atol=0)
    assert set(ours[..., 64:].unique().tolist()) == {0.0, 1.0}
    inputs = fill_inputs(models.vae, image, mask, torch.Generator().manual_seed(0))
    assert (
        inputs.latents.shape[-1] + inputs.condition.shape[-1] == models.transformer.config.in_channels == 384
    )
    ids = pipeline._prepare_latent_image_ids(batch_size, H // 16, 2 * W // 16, "cpu", torch.float32)
    assert torch.equal(inputs.image_ids, ids)
    assert torch.equal(latent_image_ids(H // 8, 2 * W // 8, torch.device("cpu"), torch.float32), ids)


def test_mask_tokens_mark_exactly_the_repaint_patches():
    """A repaint region covering one 16 x 16 patch of the person half turns on one token, fully."""
    mask = torch.zeros(1, 1, H, 2 * W)
    mask[:, :, 16:32, W + 16 : W + 32] = 1
    tokens = fill_condition(torch.zeros(1, 16, H // 8, 2 * W // 8), mask, 8)[0, :, 64:]
    per_token = tokens.mean(dim=-1)
    columns = 2 * W // 16
    assert per_token.tolist().count(1.0) == 1 and per_token.sum() == 1
    assert per_token.argmax().item() == 1 * columns + (W + 16) // 16
    assert pack_latents(torch.zeros(1, 16, 6, 8)).shape == (1, 12, 64)
