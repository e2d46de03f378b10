"""The catvton-flux canvas and FluxFillPipeline's latent packing, as pure tensor functions.

A training example is one image of size ``(H, 2W)``: the garment on the left
half, the person on the right half, each ``W x H`` pixels (576 x 768 by
default). Images are float tensors ``(3, H, W)`` in ``[-1, 1]``; masks are float
tensors ``(1, H, W)`` with values exactly 0 or 1, **1 = repaint**. Every resize of
a mask is followed by binarisation at 0.5, so a mask never carries soft edges
into the model. The garment half of the canvas mask is all zero: the model
sees the garment and repaints only the person's masked region.

Packing follows ``diffusers.FluxFillPipeline`` exactly: VAE latents
``(B, 16, H/8, W/8)`` become ``(B, H/16 * W/16, 64)`` tokens (2x2 patches), the
pixel mask becomes ``(B, 64, H/8, W/8)`` (each 8x8 block unrolled into
channels) and then ``(B, N, 256)`` tokens, and the transformer input is
``noisy (64) | masked image (64) | mask (256)`` = 384 channels per token.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from diffusers import FluxFillPipeline

from vtondata.train.config import MaskAugmentSection

WHITE = 1.0
"""Fill value of letterbox bars and of the background around a cut-out garment (white in [-1, 1])."""


@dataclass(frozen=True)
class Canvas:
    """One composed example: ``image`` (3, H, 2W) in [-1, 1] and ``mask`` (1, H, 2W) in {0, 1}."""

    image: torch.Tensor
    mask: torch.Tensor

    @property
    def masked_image(self) -> torch.Tensor:
        """The image with repaint pixels set to 0 (mid grey), as FluxFillPipeline builds it."""
        return masked_image(self.image, self.mask)


def to_signed(image_rgb: np.ndarray) -> torch.Tensor:
    """HxWx3 uint8 RGB -> (3, H, W) float32 in [-1, 1]."""
    return torch.from_numpy(np.array(image_rgb)).permute(2, 0, 1).float() / 127.5 - 1.0


def to_binary(mask_u8: np.ndarray) -> torch.Tensor:
    """HxW uint8 mask (0 / 255, or any value; > 127 counts as set) -> (1, H, W) float32 in {0, 1}."""
    return torch.from_numpy(np.asarray(mask_u8) > 127).float()[None]


def to_uint8(image: torch.Tensor) -> np.ndarray:
    """(3, H, W) in [-1, 1] or (1, H, W) in {0, 1} -> HxWx3 uint8 RGB (a mask as white on black)."""
    if image.shape[0] == 1:
        return (image[0].clamp(0, 1) * 255).round().byte().numpy()[..., None].repeat(3, axis=2)
    return ((image.clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).numpy()


def binarize(mask: torch.Tensor) -> torch.Tensor:
    return (mask > 0.5).to(mask.dtype)


def fit_box(width: int, height: int, width_px: int, height_px: int) -> tuple[int, int, int, int]:
    """Where :func:`fit` puts a ``width x height`` image inside ``width_px x height_px``:
    ``(left, top, new_width, new_height)``, scaled to touch two sides and centred."""
    scale = min(width_px / width, height_px / height)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    return (width_px - new_w) // 2, (height_px - new_h) // 2, new_w, new_h


def fit(image: torch.Tensor, width_px: int, height_px: int, *, is_mask: bool) -> torch.Tensor:
    """Scale ``(C, h, w)`` to fit inside ``width_px x height_px`` keeping its aspect, centred.

    Images are resized bilinearly with antialiasing and padded with white;
    masks are resized the same way, padded with 0 (keep) and binarised.
    """
    _, height, width = image.shape
    left, top, new_w, new_h = fit_box(width, height, width_px, height_px)
    resized = F.interpolate(
        image[None], size=(new_h, new_w), mode="bilinear", antialias=True, align_corners=False
    )[0]
    padding = (left, width_px - new_w - left, top, height_px - new_h - top)
    fitted = F.pad(resized, padding, value=0.0 if is_mask else WHITE)
    return binarize(fitted) if is_mask else fitted.clamp(-1, 1)


def garment_from_person(
    person: torch.Tensor, garment_mask: torch.Tensor, margin_frac: float = 0.05
) -> torch.Tensor | None:
    """Cut the worn garment out of the person photo: the fallback when a sample has no cloth.jpg.

    ``person`` (3, H, W) in [-1, 1], ``garment_mask`` (1, H, W) in {0, 1}
    (1 = garment). Pixels outside the garment become white and the result is
    cropped to the garment's box plus ``margin_frac`` of its size. Returns
    ``None`` when the mask is empty. Unlike a flat-lay photo, the cut-out
    keeps the garment's worn shape; the repaint mask still hides it.
    """
    rows = torch.nonzero(garment_mask[0].any(dim=1)).flatten()
    cols = torch.nonzero(garment_mask[0].any(dim=0)).flatten()
    if rows.numel() == 0:
        return None
    top, bottom, left, right = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    pad_y, pad_x = math.ceil((bottom - top) * margin_frac), math.ceil((right - left) * margin_frac)
    _, height, width = person.shape
    top, bottom = max(0, top - pad_y), min(height, bottom + pad_y)
    left, right = max(0, left - pad_x), min(width, right + pad_x)
    cut = torch.where(garment_mask.bool(), person, torch.full_like(person, WHITE))
    return cut[:, top:bottom, left:right]


def augment_mask(mask: torch.Tensor, params: MaskAugmentSection, generator: torch.Generator) -> torch.Tensor:
    """Randomly grow a (1, H, W) {0, 1} mask; the result is binary and covers the original mask.

    The model must not learn the old garment's outline from the mask's shape,
    so each sample's mask changes a little: a copy grown by a radius drawn
    uniformly in ``[0, max_dilation]`` (fraction of H) and shifted by up to
    ``max_shift`` on each axis is added to the mask. The mask never loses a
    pixel: shrinking or moving it would uncover a strip of the old garment
    along its outline, the very cue the mask exists to hide.
    """
    draws = torch.rand(4, generator=generator).tolist()
    if not params.enabled or draws[0] >= params.probability:
        return mask
    height = mask.shape[-2]
    radius = round(draws[1] * params.max_dilation_frac * height)
    grown = _dilate(mask, radius) if radius > 0 else mask
    max_shift = params.max_shift_frac * height
    dy, dx = (round((2 * draw - 1) * max_shift) for draw in draws[2:])
    return binarize(torch.maximum(mask, _shift(grown, dy, dx)))


def _dilate(mask: torch.Tensor, radius: int) -> torch.Tensor:
    return F.max_pool2d(mask[None], kernel_size=2 * radius + 1, stride=1, padding=radius)[0]


def _shift(mask: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    _, height, width = mask.shape
    padded = F.pad(mask, (abs(dx), abs(dx), abs(dy), abs(dy)))
    top, left = abs(dy) - dy, abs(dx) - dx
    return padded[:, top : top + height, left : left + width]


def compose(garment: torch.Tensor, person: torch.Tensor, person_mask: torch.Tensor) -> Canvas:
    """Garment half | person half -> :class:`Canvas`; halves must share their size (3, H, W)."""
    if garment.shape != person.shape or person_mask.shape[1:] != person.shape[1:]:
        raise ValueError(f"halves differ: garment {tuple(garment.shape)}, person {tuple(person.shape)}")
    image = torch.cat([garment, person], dim=2)
    mask = torch.cat([torch.zeros_like(person_mask), binarize(person_mask)], dim=2)
    return Canvas(image=image, mask=mask)


def masked_image(image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``image * (1 - mask)``: repaint pixels become 0, for (3, H, W) or (B, 3, H, W) with a matching mask."""
    return image * (1.0 - mask)


def pack_latents(latents: torch.Tensor) -> torch.Tensor:
    """(B, C, h, w) latents -> (B, h/2 * w/2, 4C) tokens of 2x2 patches (FluxFillPipeline._pack_latents)."""
    batch, channels, height, width = latents.shape
    return FluxFillPipeline._pack_latents(latents, batch, channels, height, width)


def pack_mask(mask: torch.Tensor, vae_scale_factor: int) -> torch.Tensor:
    """(B, 1, H, W) pixel mask -> (B, N, 4 * s^2) tokens, s = ``vae_scale_factor`` (256 for FLUX).

    Each s x s pixel block becomes s^2 channels in row-major order (what
    ``prepare_mask_latents`` does with view / permute), then 2x2 patches are packed.
    """
    unshuffled = F.pixel_unshuffle(mask, vae_scale_factor)
    return pack_latents(unshuffled)


def fill_condition(
    masked_image_latents: torch.Tensor, mask: torch.Tensor, vae_scale_factor: int
) -> torch.Tensor:
    """Scaled VAE latents of the masked canvas (B, 16, h, w) and its pixel mask -> (B, N, 64 + 256)."""
    return torch.cat([pack_latents(masked_image_latents), pack_mask(mask, vae_scale_factor)], dim=-1)


def latent_image_ids(
    latent_height: int, latent_width: int, device: torch.device, dtype: torch.dtype
) -> torch.Tensor:
    """(N, 3) rotary position ids of the packed tokens (FluxFillPipeline._prepare_latent_image_ids)."""
    return FluxFillPipeline._prepare_latent_image_ids(
        None, latent_height // 2, latent_width // 2, device, dtype
    )
