"""Recipe section ``cloth``: pairing persons with garment photos, and the garment photo's mask."""

from typing import Literal

from pydantic import Field

from vtondata.config.base import RecipeModel


class PairingConfig(RecipeModel):
    """How a garment photo is found for a person photo (vtondata.ingest.pairs)."""

    mode: Literal["auto", "pairs_file", "naming", "off"] = Field(
        default="auto",
        description=(
            "'pairs_file': only the pairs file; 'naming': only the naming rules; 'auto': the pairs file when "
            "one exists under the raw folder, else the naming rules; 'off': no garment photos."
        ),
    )
    pairs_file: str = Field(
        default="pairs.txt",
        description=(
            "Pairs file, relative to the raw folder (or absolute): one 'person.jpg garment.jpg' per line, "
            "as VITON-HD's test_pairs.txt."
        ),
    )
    suffix: str = Field(
        default="_cloth", description="Naming rule 1: '<stem><suffix>.<ext>' beside the person photo."
    )
    folder: str = Field(
        default="cloth",
        description=(
            "Naming rule 2: '<folder>/<stem>.<ext>' in a sibling of the person's folder (VITON-HD: image/ "
            "and cloth/) or a subfolder of it. Files under a folder of this name are never person inputs."
        ),
    )
    ignore_folders: tuple[str, ...] = Field(
        default=("cloth-mask",),
        description="Folders whose files are never person inputs (garment masks shipped beside garments).",
    )


class ClothConfig(RecipeModel):
    """Garment photos: pairing, mask and placement (vtondata.stages.cloth); checks: ``quality.cloth``."""

    pairing: PairingConfig = Field(default_factory=PairingConfig)
    segmenter: Literal["classical", "sam2"] = Field(
        default="classical",
        description=(
            "'classical': threshold against a white or light studio background, largest component, holes "
            "filled (OpenCV, no model); 'sam2': the segment section's SAM2 model prompted with a centre "
            "point and a box inset from the frame (needs segment.backend: sam2)."
        ),
    )
    target_size_wh: tuple[int, int] = Field(
        default=(768, 1024), description="Size of cloth.jpg and cloth_mask.png, (width, height) in pixels."
    )
    margin_rel: float = Field(
        default=0.05,
        ge=0,
        lt=0.5,
        description="Empty border around the centred garment, as a share of each side.",
    )
    background_threshold: int = Field(
        default=240,
        ge=1,
        le=255,
        description="Classical segmenter: a pixel whose every RGB channel is at or above this is background.",
    )
