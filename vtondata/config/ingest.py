"""Recipe section ``ingest``: which files count as inputs and how they are normalised."""

from typing import Literal

from pydantic import Field, field_validator

from vtondata.config.base import RecipeModel


class IngestConfig(RecipeModel):
    """Input selection, safety limits and the normalisation rule of every stored person image.

    The rules themselves (EXIF, colour modes, pad / crop geometry, reason codes)
    are described in ``docs/ingest.md`` and implemented in ``vtondata.ingest.decode``.
    """

    extensions: tuple[str, ...] = Field(
        default=(".jpg", ".jpeg", ".png", ".webp"),
        description="File suffixes (case-insensitive) scanned as person images; others are ignored.",
    )
    formats: tuple[str, ...] = Field(
        default=("JPEG", "PNG", "WEBP"),
        description=(
            "Pillow format names that are decoded, whatever the file suffix says; any other content "
            "is ingest.not_an_image, so exotic decoders never see untrusted files."
        ),
    )
    target_width_px: int = Field(default=768, ge=64, description="Width of every stored person image.")
    target_height_px: int = Field(default=1024, ge=64, description="Height of every stored person image.")
    fit: Literal["pad", "crop"] = Field(
        default="pad",
        description=(
            "How an image of another aspect reaches the target size: 'pad' scales it to fit "
            "inside and letterboxes with pad_rgb (nothing is lost); 'crop' scales it to cover "
            "and crops the centre (may cut feet or head)."
        ),
    )
    pad_rgb: tuple[int, int, int] = Field(default=(255, 255, 255), description="Letterbox colour.")
    min_short_side_px: int = Field(
        default=256,
        ge=1,
        description="Inputs whose shorter side is below this are rejected (ingest.too_small).",
    )
    max_pixels: int = Field(
        default=100_000_000,
        ge=1,
        description="Inputs whose header declares more pixels are refused undecoded (ingest.too_large).",
    )
    max_file_bytes: int = Field(
        default=200_000_000, ge=1, description="Larger files are rejected unread (ingest.too_large)."
    )
    on_cmyk: Literal["convert", "reject"] = Field(
        default="convert", description="CMYK inputs: convert to RGB, or reject (ingest.cmyk)."
    )
    on_high_bit_depth: Literal["convert", "reject"] = Field(
        default="convert", description="16-bit inputs: scale to 8 bits, or reject (ingest.high_bit_depth)."
    )
    on_alpha: Literal["flatten", "reject"] = Field(
        default="flatten",
        description="Inputs with transparency: composite over pad_rgb, or reject (ingest.alpha).",
    )
    strip_location: bool = Field(
        default=True,
        description=(
            "Never store location metadata (EXIF GPS, XMP location): a JPEG carrying it is "
            "re-encoded without metadata instead of stored as its original bytes."
        ),
    )
    max_metadata_bytes: int = Field(
        default=65_536,
        ge=0,
        description=(
            "A JPEG with more metadata (APPn and comment segments) than this, or with any bytes "
            "after its end marker, is re-encoded instead of stored as its original bytes."
        ),
    )
    jpeg_quality: int = Field(
        default=95, ge=50, le=100, description="Quality used only when an image must be re-encoded."
    )

    @field_validator("extensions")
    @classmethod
    def _dotted_lowercase(cls, extensions: tuple[str, ...]) -> tuple[str, ...]:
        """Accept ``JPG`` or ``.jpg`` alike; matching is on the lower-cased suffix with its dot."""
        return tuple("." + extension.lower().lstrip(".") for extension in extensions)

    @field_validator("formats")
    @classmethod
    def _uppercase(cls, formats: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(name.upper() for name in formats)
