"""Mask overlays and contact sheets."""

from __future__ import annotations

import numpy as np
import pytest

from tests.synthetic import dress_body, make_body
from vtondata.render.overlay import MASK_TINT_RGB, contact_sheet, render_overlay


def test_overlay_tints_only_the_mask_and_draws_the_skeleton() -> None:
    dressed = dress_body(make_body("arms_out", 384, 512, 90.0), "short_sleeve_tight")
    mask = dressed.garment_mask
    plain = render_overlay(dressed.image_rgb, mask, alpha=0.5)
    assert plain.shape == dressed.image_rgb.shape and plain.dtype == np.uint8
    far = np.zeros_like(mask)
    far[:20, :20] = True  # background corner, away from mask and outline
    assert np.array_equal(plain[far], dressed.image_rgb[far])
    inner = mask.copy()
    inner[:, :] = False
    ys, xs = np.nonzero(mask)
    inner[ys.mean().astype(int), xs.mean().astype(int)] = True
    expected = np.round(0.5 * dressed.image_rgb[inner] + 0.5 * np.array(MASK_TINT_RGB)).astype(np.uint8)
    assert np.abs(plain[inner].astype(int) - expected).max() <= 1
    with_pose = render_overlay(dressed.image_rgb, mask, dressed.keypoints_px)
    assert (with_pose != plain).any(axis=2).sum() > 500


def test_overlay_refuses_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match="HxW"):
        render_overlay(np.zeros((10, 10, 3), np.uint8), np.zeros((10, 11), bool))


def test_contact_sheet_lays_tiles_in_reading_order() -> None:
    images = [np.full((40, 30, 3), value, dtype=np.uint8) for value in (10, 20, 30)]
    sheet = contact_sheet(images, columns=2, tile_width=15)
    assert sheet.shape == (40, 30, 3)
    assert sheet[0, 0, 0] == 10 and sheet[0, 15, 0] == 20 and sheet[20, 0, 0] == 30
    assert (sheet[20:, 15:] == 255).all()
