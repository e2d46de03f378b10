"""Pixel measures on synthetic images whose answer is known."""

from __future__ import annotations

import cv2
import numpy as np

from vtondata.filters import signal


def _texture(size: int = 256) -> np.ndarray:
    rng = np.random.default_rng(1)
    blocks = rng.integers(40, 215, (size // 16, size // 16)).astype(np.uint8)
    return cv2.resize(blocks, (size, size), interpolation=cv2.INTER_NEAREST)


def test_noise_sigma_recovers_added_gaussian_noise() -> None:
    flat = np.full((300, 300), 128.0)
    noisy = flat + np.random.default_rng(0).normal(0, 10, flat.shape)
    assert abs(signal.noise_sigma(np.clip(noisy, 0, 255).astype(np.uint8)) - 10) < 1.0
    ramp = np.tile(np.linspace(0, 255, 300), (300, 1)).astype(np.uint8)
    assert signal.noise_sigma(ramp) < 0.5


def test_sharpness_falls_with_blur_and_ignores_contrast() -> None:
    sharp = _texture()
    blurred = cv2.GaussianBlur(sharp, (0, 0), 3)
    faint = (sharp.astype(np.float32) * 0.3 + 80).astype(np.uint8)
    assert signal.sharpness(blurred) < 0.5 * signal.sharpness(sharp)
    assert abs(signal.sharpness(faint) - signal.sharpness(sharp)) < 0.05
    assert signal.sharpness(np.full((64, 64), 90, np.uint8)) == 0.0


def test_blockiness_sees_the_jpeg_grid_only_when_it_is_there() -> None:
    smooth = cv2.GaussianBlur(_texture(), (0, 0), 6)
    encoded = cv2.imdecode(
        cv2.imencode(".jpg", smooth, [cv2.IMWRITE_JPEG_QUALITY, 5])[1], cv2.IMREAD_GRAYSCALE
    )
    shifted = encoded[3:, 3:]
    assert signal.blockiness(smooth) < 1.2 < 1.5 < signal.blockiness(encoded)
    assert signal.blockiness(shifted) < signal.blockiness(encoded)
