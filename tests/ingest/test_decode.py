"""decode_person: every refusal rule, every normalisation rule, and the no-re-encode rule."""

from __future__ import annotations

import io
import json
import resource
import time
import tracemalloc
import warnings

import cv2
import numpy as np
import pytest
from PIL import ExifTags, Image

from tests.ingest.bad_inputs import PNG_SIGNATURE, corrupt_png, png_header_only
from vtondata.config.ingest import IngestConfig
from vtondata.ingest.decode import DecodedPerson, decode_person, place
from vtondata.ingest.jpeg_extras import jpeg_extras
from vtondata.sample import Rejection

CONFIG = IngestConfig()
RED, GREEN, BLUE = (220, 20, 20), (20, 200, 20), (20, 20, 220)


def _encode(image: Image.Image, format: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **params)
    return buffer.getvalue()


def _pixels(decoded: DecodedPerson) -> np.ndarray:
    """The stored image as ``HxWx3`` int16 (signed, so differences do not wrap)."""
    image = Image.open(io.BytesIO(decoded.image_bytes))
    assert image.format == "JPEG" and image.mode == "RGB"
    assert image.size == decoded.size_wh
    return np.asarray(image).astype(np.int16)


def _accepted(data: bytes, config: IngestConfig = CONFIG) -> DecodedPerson:
    decoded = decode_person(data, config)
    assert isinstance(decoded, DecodedPerson), decoded
    return decoded


def _code(data: bytes, config: IngestConfig = CONFIG) -> str:
    decoded = decode_person(data, config)
    assert isinstance(decoded, Rejection), decoded.meta
    return decoded.code


def _halves(size_wh: tuple[int, int], left: tuple[int, int, int], right: tuple[int, int, int]) -> Image.Image:
    image = Image.new("RGB", size_wh, left)
    image.paste(right, (size_wh[0] // 2, 0, size_wh[0], size_wh[1]))
    return image


@pytest.fixture(scope="module")
def photo(persons_dir) -> Image.Image:
    """A real 768x1024 person photo, RGB."""
    return Image.open(persons_dir / "01008_00.jpg").convert("RGB")


def test_empty_bytes_are_an_empty_file():
    assert _code(b"") == "ingest.empty_file"


def test_more_bytes_than_the_limit_are_too_large(photo):
    data = _encode(photo, "PNG")
    rejection = decode_person(data, IngestConfig(max_file_bytes=len(data) - 1))
    assert rejection.code == "ingest.too_large"
    assert f"{len(data):,} bytes" in rejection.message


def test_text_and_garbage_after_a_png_signature_are_not_images():
    assert _code(b"just some text, renamed to photo.jpg\n" * 10) == "ingest.not_an_image"
    assert _code(PNG_SIGNATURE + bytes(range(256)) * 8) == "ingest.not_an_image"


def test_formats_outside_the_accepted_list_are_not_images_even_if_pillow_reads_them(photo):
    gif = _encode(photo, "GIF")
    rejection = decode_person(gif, CONFIG)
    assert rejection.code == "ingest.not_an_image"
    assert "JPEG, PNG, WEBP" in rejection.message
    assert _accepted(gif, IngestConfig(formats=("gif", "jpeg"))).meta["converted_from"] == "P"


def test_webp_is_accepted(photo):
    decoded = _accepted(_encode(photo, "WEBP", quality=90))
    assert decoded.meta["format"] == "WEBP" and decoded.meta["reencoded"]


def test_bomb_header_is_refused_fast_without_decoding():
    bomb = png_header_only(40_000, 40_000)
    assert len(bomb) < 200
    peak_rss_before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    started = time.perf_counter()
    rejection = decode_person(bomb, CONFIG)
    elapsed_s = time.perf_counter() - started
    _, peak_bytes = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert rejection.code == "ingest.too_large"
    assert "1600000000 pixels" in rejection.message
    assert elapsed_s < 0.5
    assert peak_bytes < 5_000_000
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_rss_before_kb < 50_000


def test_header_over_max_pixels_is_too_large_with_its_size_in_the_message():
    rejection = decode_person(png_header_only(11_000, 10_000), CONFIG)
    assert rejection.code == "ingest.too_large"
    expected = "PNG header declares 11000x10000 = 110 megapixels, over the 100 megapixels limit"
    assert rejection.message == expected


def test_pillow_bomb_warning_does_not_escape_and_our_limit_decides():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rejection = decode_person(png_header_only(10_000, 9_500), IngestConfig(max_pixels=90_000_000))
    assert rejection.code == "ingest.too_large"
    assert "10000x9500" in rejection.message
    assert not [w for w in caught if issubclass(w.category, Image.DecompressionBombWarning)]


def test_real_photo_cut_in_half_is_truncated(persons_dir):
    data = (persons_dir / "01008_00.jpg").read_bytes()
    rejection = decode_person(data[: len(data) // 2], CONFIG)
    assert rejection.code == "ingest.truncated"
    assert "JPEG" in rejection.message


def test_png_with_garbage_pixel_data_is_truncated():
    assert _code(corrupt_png(768, 1024)) == "ingest.truncated"


@pytest.mark.parametrize("size_wh", [(1, 1), (255, 2000), (2000, 200)])
def test_shorter_side_under_the_minimum_is_too_small(size_wh):
    rejection = decode_person(_encode(Image.new("RGB", size_wh), "PNG"), CONFIG)
    assert rejection.code == "ingest.too_small"
    assert f"{size_wh[0]}x{size_wh[1]}" in rejection.message


def test_minimum_short_side_comes_from_the_config():
    data = _encode(Image.new("RGB", (300, 200)), "PNG")
    assert _code(data) == "ingest.too_small"
    assert _accepted(data, IngestConfig(min_short_side_px=200)).size_wh == (768, 1024)


@pytest.mark.parametrize(
    ("orientation", "stored_as"),
    [(3, Image.Transpose.ROTATE_180), (6, Image.Transpose.ROTATE_90), (8, Image.Transpose.ROTATE_270)],
)
def test_exif_orientation_is_applied_so_the_stored_image_is_upright(photo, orientation, stored_as):
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    data = _encode(photo.transpose(stored_as), "JPEG", quality=95, exif=exif)
    decoded = _accepted(data)
    upright = np.asarray(photo).astype(np.int16)
    stored = _pixels(decoded)
    assert np.abs(stored - upright).mean() < 4
    assert np.abs(stored - upright[::-1, ::-1]).mean() > 20
    assert decoded.meta["exif_transposed"] and decoded.meta["exif_orientation"] == orientation
    assert decoded.meta["orig_size_wh"] == list(photo.transpose(stored_as).size)
    assert decoded.meta["upright_size_wh"] == list(photo.size)
    assert decoded.meta["reencoded"]
    assert Image.open(io.BytesIO(decoded.image_bytes)).getexif().get(ExifTags.Base.Orientation) is None


def test_cmyk_is_converted_or_rejected_per_policy(photo):
    data = _encode(photo.convert("CMYK"), "JPEG", quality=95)
    decoded = _accepted(data)
    assert np.abs(_pixels(decoded) - np.asarray(photo).astype(np.int16)).mean() < 4
    assert decoded.meta["converted_from"] == "CMYK" and decoded.meta["mode"] == "CMYK"
    assert _code(data, IngestConfig(on_cmyk="reject")) == "ingest.cmyk"


def test_16_bit_rgb_png_keeps_the_high_byte_or_is_rejected(photo):
    rgb16 = np.asarray(photo).astype(np.uint16) * 256 + 200  # high byte = the 8-bit value
    data = cv2.imencode(".png", np.ascontiguousarray(rgb16[:, :, ::-1]))[1].tobytes()
    decoded = _accepted(data)
    assert np.abs(_pixels(decoded) - np.asarray(photo).astype(np.int16)).mean() < 2
    assert decoded.meta["bits_per_channel"] == 16
    assert decoded.meta["converted_from"] == "RGB;16B"
    assert _code(data, IngestConfig(on_high_bit_depth="reject")) == "ingest.high_bit_depth"


def test_16_bit_grey_is_scaled_not_clipped():
    grey16 = np.full((400, 300), 0x80FF, np.uint16)
    data = _encode(Image.fromarray(grey16), "PNG")
    assert Image.open(io.BytesIO(data)).mode == "I;16"
    decoded = _accepted(data)
    assert np.abs(_pixels(decoded) - 0x80).max() <= 1
    assert decoded.meta["converted_from"] == "I;16" and decoded.meta["bits_per_channel"] == 16
    assert _code(data, IngestConfig(on_high_bit_depth="reject")) == "ingest.high_bit_depth"


def _left_half_transparent(mode: str) -> tuple[Image.Image, tuple[int, int, int]]:
    """A 300x400 image of ``mode`` whose left half is fully transparent, and its right half's RGB."""
    if mode == "P":
        image = Image.new("P", (300, 400), 1)
        image.putpalette([0, 0, 0, *RED])
        image.paste(0, (0, 0, 150, 400))
        image.info["transparency"] = 0
        return image, RED
    if mode == "LA":
        image = Image.new("LA", (300, 400), (120, 255))
        image.paste((0, 0), (0, 0, 150, 400))
        return image, (120, 120, 120)
    image = Image.new("RGBA", (300, 400), (*RED, 255))
    image.paste((0, 0, 0, 0), (0, 0, 150, 400))
    return image, RED


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P"])
def test_transparency_is_composited_over_pad_colour_or_rejected(mode):
    image, right_rgb = _left_half_transparent(mode)
    data = _encode(image, "PNG")
    decoded = _accepted(data, IngestConfig(pad_rgb=BLUE))
    pixels = _pixels(decoded)
    assert decoded.meta["converted_from"] == mode
    assert np.abs(pixels[512, 100] - BLUE).max() <= 8
    assert np.abs(pixels[512, 700] - right_rgb).max() <= 8
    assert _code(data, IngestConfig(on_alpha="reject")) == "ingest.alpha"


def test_fully_opaque_alpha_is_not_transparency():
    data = _encode(Image.new("RGBA", (300, 400), (*RED, 255)), "PNG")
    decoded = _accepted(data, IngestConfig(on_alpha="reject"))
    assert decoded.meta["converted_from"] == "RGBA"
    assert np.abs(_pixels(decoded)[512, 384] - RED).max() <= 6


def test_grey_and_palette_images_become_rgb():
    grey = _accepted(_encode(Image.new("L", (300, 400), 90), "PNG"))
    assert grey.meta["converted_from"] == "L"
    assert np.abs(_pixels(grey) - 90).max() <= 2
    palette = _accepted(_encode(Image.new("RGB", (300, 400), GREEN).convert("P"), "PNG"))
    assert palette.meta["converted_from"] == "P"


@pytest.mark.parametrize(
    ("size_wh", "fit", "scale", "resized_wh", "offset_xy"),
    [
        ((768, 1024), "pad", 1.0, (768, 1024), (0, 0)),
        ((1536, 2048), "crop", 0.5, (768, 1024), (0, 0)),
        ((384, 512), "pad", 2.0, (768, 1024), (0, 0)),
        ((1000, 500), "pad", 0.768, (768, 384), (0, 320)),
        ((1000, 500), "crop", 2.048, (2048, 1024), (-640, 0)),
        ((600, 1000), "pad", 1.024, (614, 1024), (77, 0)),
        ((600, 1000), "crop", 1.28, (768, 1280), (0, -128)),
    ],
)
def test_placement_rule(size_wh, fit, scale, resized_wh, offset_xy):
    placement = place(size_wh, (768, 1024), fit)
    assert placement.scale == pytest.approx(scale)
    assert placement.resized_wh == resized_wh
    assert placement.offset_xy == offset_xy


def test_pad_letterboxes_a_wide_image_in_pad_colour():
    data = _encode(_halves((1000, 500), RED, GREEN), "PNG")
    decoded = _accepted(data, IngestConfig(pad_rgb=BLUE))
    pixels = _pixels(decoded)
    assert decoded.meta["scale"] == pytest.approx(0.768) and decoded.meta["offset_xy"] == [0, 320]
    assert np.abs(pixels[:310] - BLUE).max() <= 8 and np.abs(pixels[-310:] - BLUE).max() <= 8
    assert np.abs(pixels[512, 100] - RED).max() <= 8
    assert np.abs(pixels[512, 668] - GREEN).max() <= 8


def test_crop_covers_the_canvas_and_keeps_the_centre():
    data = _encode(_halves((1000, 500), RED, GREEN), "PNG")
    decoded = _accepted(data, IngestConfig(fit="crop", pad_rgb=BLUE))
    pixels = _pixels(decoded)
    assert decoded.meta["offset_xy"] == [-640, 0]
    assert np.abs(pixels[:, :370] - RED).max() <= 8
    assert np.abs(pixels[:, 398:] - GREEN).max() <= 8


def test_target_size_comes_from_the_config(photo):
    decoded = _accepted(_encode(photo, "PNG"), IngestConfig(target_width_px=576, target_height_px=768))
    assert decoded.size_wh == (576, 768)
    assert _pixels(decoded).shape == (768, 576, 3)


def test_jpeg_already_at_target_size_keeps_its_original_bytes(vitonhd_dir):
    for path in sorted((vitonhd_dir / "image").glob("*.jpg"))[:3]:
        data = path.read_bytes()
        decoded = _accepted(data)
        assert decoded.image_bytes == data
        assert decoded.meta["reencoded"] is False and decoded.meta["converted_from"] is None
        assert decoded.size_wh == (768, 1024)


def test_camera_jpeg_with_a_multi_picture_index_is_a_jpeg_whose_hidden_pictures_are_dropped(photo):
    mirrored = photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    data = _encode(photo, "MPO", save_all=True, append_images=[mirrored])
    decoded = _accepted(data)
    assert decoded.meta["format"] == "MPO"
    assert decoded.meta["reencoded"] is True
    assert "after the end-of-image marker" in decoded.meta["reencoded_because"][0]
    assert Image.open(io.BytesIO(decoded.image_bytes)).format == "JPEG"
    assert jpeg_extras(decoded.image_bytes).trailing_bytes == 0 < jpeg_extras(data).trailing_bytes


def test_other_inputs_are_reencoded_deterministically(photo):
    for data in (_encode(photo, "PNG"), _encode(photo.resize((1536, 2048)), "JPEG", quality=90)):
        first, second = _accepted(data), _accepted(data)
        assert first.meta["reencoded"] is True
        assert first.image_bytes == second.image_bytes != data


def test_reencode_quality_comes_from_the_config(photo):
    data = _encode(photo, "PNG")
    low = _accepted(data, IngestConfig(jpeg_quality=60)).image_bytes
    high = _accepted(data, IngestConfig(jpeg_quality=98)).image_bytes
    assert len(low) < len(high)


def test_meta_is_json_able_and_complete(photo):
    meta = _accepted(_encode(photo, "PNG")).meta
    assert json.loads(json.dumps(meta)) == meta
    assert set(meta) == {
        "format",
        "mode",
        "bits_per_channel",
        "orig_size_wh",
        "upright_size_wh",
        "exif_orientation",
        "exif_transposed",
        "converted_from",
        "fit",
        "scale",
        "offset_xy",
        "reencoded_because",
        "reencoded",
    }
