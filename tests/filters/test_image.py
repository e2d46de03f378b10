"""Image filter on real samples: blur, exposure and resolution move their statistics the right way."""

from __future__ import annotations

import copy

import cv2
import numpy as np

from vtondata.config.quality import QualityConfig
from vtondata.filters import image
from vtondata.filters.thresholds import failing, thresholds_from_quality


def _with_image(sample, rgb: np.ndarray):
    changed = copy.copy(sample)
    changed.person_jpg = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))[1].tobytes()
    changed._image_cache = None
    return changed


def test_statistics_of_a_clean_photo(real_samples) -> None:
    stats = image.measure(real_samples[0])
    width, height = real_samples[0].meta["ingest"]["upright_size_wh"]
    assert (stats["image.orig_width_px"], stats["image.orig_height_px"]) == (width, height)
    assert stats["image.orig_aspect"] == width / height
    assert 0.1 < stats["image.brightness"] < 0.9 and stats["image.clipped_fraction"] < 0.05


def test_blur_lowers_sharpness_and_exposure_moves_brightness(real_samples) -> None:
    for sample in real_samples:
        rgb = sample.image_rgb()
        clean = image.measure(sample)
        blurred = image.measure(_with_image(sample, cv2.GaussianBlur(rgb, (0, 0), 4)))
        dark = image.measure(_with_image(sample, rgb // 6))
        bright = image.measure(_with_image(sample, np.clip(rgb.astype(int) * 2, 0, 255).astype(np.uint8)))
        assert blurred["image.sharpness"] < 0.6 * clean["image.sharpness"]
        assert dark["image.brightness"] < clean["image.brightness"] < bright["image.brightness"]
        assert bright["image.clipped_fraction"] > clean["image.clipped_fraction"]


def test_noise_and_jpeg_blocks_have_their_own_statistics(real_samples) -> None:
    for sample in real_samples[:4]:
        rgb = sample.image_rgb()
        clean = image.measure(sample)
        noise = np.random.default_rng(0).normal(0, 20, rgb.shape)
        noisy = image.measure(_with_image(sample, np.clip(rgb + noise, 0, 255).astype(np.uint8)))
        blocky_bytes = cv2.imencode(
            ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 8]
        )[1]
        blocky = image.measure(
            _with_image(sample, cv2.cvtColor(cv2.imdecode(blocky_bytes, 1), cv2.COLOR_BGR2RGB))
        )
        assert clean["image.noise_sigma"] < 1 and noisy["image.noise_sigma"] > 10
        assert clean["image.blockiness"] < 1.3 < 1.6 < blocky["image.blockiness"]
        assert noisy["image.sharpness"] >= clean["image.sharpness"]


def test_a_white_garment_is_not_over_exposure(real_samples) -> None:
    """Exposure is judged on skin and face: garments whitened below the shoulders clip no more of it."""
    for sample in real_samples[:4]:
        rgb = sample.image_rgb().copy()
        clean = image.measure(sample)
        shoulder_y = int(max(sample.keypoints_px[5, 1], sample.keypoints_px[6, 1])) + 10
        below = np.zeros(rgb.shape[:2], dtype=bool)
        below[shoulder_y:] = True
        bare = np.zeros(rgb.shape[:2], dtype=bool)
        for name in ("skin", "face", "hands"):
            if name in sample.layers:
                bare |= sample.layers[name]
        rgb[below & sample.layers["person"] & ~bare] = 255
        white = image.measure(_with_image(sample, rgb))
        assert white["image.clipped_fraction"] == clean["image.clipped_fraction"]


def test_an_upscaled_small_photo_is_judged_at_its_own_resolution(real_samples) -> None:
    sample = copy.copy(real_samples[0])
    rgb = sample.image_rgb()
    small = cv2.resize(rgb, (192, 256), interpolation=cv2.INTER_AREA)
    enlarged = _with_image(sample, cv2.resize(small, (768, 1024), interpolation=cv2.INTER_CUBIC))
    stored_as_is = image.measure(enlarged)
    enlarged.meta = {
        **sample.meta,
        "ingest": {**sample.meta["ingest"], "scale": 4.0, "upright_size_wh": [192, 256]},
    }
    native = image.measure(enlarged)
    assert native["image.sharpness"] > stored_as_is["image.sharpness"] + 0.1


def test_image_thresholds_judge_only_image_statistics(real_samples) -> None:
    stats = image.measure(real_samples[0])
    quality = QualityConfig.model_validate(
        {"image": {"min_orig_height_px": stats["image.orig_height_px"] + 1}, "mask": {"max_area_ratio": 0.0}}
    )
    thresholds = thresholds_from_quality(quality)
    image_thresholds = [t for t in thresholds if t.family == "image"]
    failed = failing({**stats, "mask.area_ratio": 0.5}, image_thresholds)
    assert [t.reason_code for t in failed] == ["quality.image_min_orig_height_px"]
    assert failing({"mask.area_ratio": 0.5}, image_thresholds) == []


def test_content_region_leaves_out_letterbox_bars(real_samples) -> None:
    sample = copy.deepcopy(real_samples[0])
    narrow = {"orig_size_wh": [384, 1024], "upright_size_wh": [384, 1024], "offset_xy": [192, 0]}
    sample.meta["ingest"] = {**sample.meta["ingest"], **narrow}
    region = image.content_region(sample, (1024, 768))
    assert region[:, 192:576].all() and not region[:, :192].any() and not region[:, 576:].any()
