"""The fast PNG settings stay lossless for every kind of image a shard holds."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from vtondata.output.format import encode_png


def _mask() -> np.ndarray:
    mask = np.zeros((1024, 768), dtype=np.uint8)
    cv2.ellipse(mask, (384, 500), (200, 300), 15, 0, 360, 255, -1)
    return mask


def _labels() -> np.ndarray:
    rng = np.random.default_rng(0)
    return (rng.integers(0, 10, (64, 48)).repeat(16, axis=0).repeat(16, axis=1)).astype(np.uint8)


def _rgb() -> np.ndarray:
    rng = np.random.default_rng(1)
    return rng.integers(0, 256, (257, 191, 3), dtype=np.uint8)


@pytest.mark.parametrize("array", [_mask(), _labels(), _rgb()], ids=["mask", "labels", "rgb-noise"])
def test_png_decodes_to_the_same_pixels(array):
    data = encode_png(array)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(data)) as image:
        assert image.mode == ("L" if array.ndim == 2 else "RGB")
        np.testing.assert_array_equal(np.asarray(image), array)
