"""Recipe section ``segment``: evidence layers (person silhouette, garments, body parts)."""

from typing import Annotated, Literal

from pydantic import Field

from vtondata.config.base import RecipeModel

Sam2Layer = Literal[
    "person",
    "garment_upper",
    "garment_lower",
    "garment_dress",
    "face",
    "hair",
    "hands",
    "feet",
    "arms",
    "legs",
]
"""Layers the SAM2 backend can prompt for from pose (vtondata.geometry.prompts)."""


class SegmentCommon(RecipeModel):
    batch_size: int = Field(4, ge=1, description="Images per backend call and per Ray batch.")


class MediaPipeSegmentConfig(SegmentCommon):
    backend: Literal["mediapipe"] = "mediapipe"
    model: Literal["pose", "selfie"] = Field(
        "pose",
        description=(
            "Which MediaPipe model draws the person silhouette: 'pose' (the full pose model's segmentation "
            "head; IoU 0.975 mean, 0.964 worst against the VITON-HD sample's parse maps) or 'selfie' "
            "(selfie segmentation; 0.965 mean, 0.945 worst, with holes between arm and torso). "
            "See docs/pose.md."
        ),
    )
    model_selection: Literal[0, 1] = Field(
        0, description="Selfie segmentation model (model: selfie only): 0 = general, 1 = landscape."
    )
    threshold: float = Field(0.5, gt=0, lt=1, description="Person probability above which a pixel is person.")


class Sam2SegmentConfig(SegmentCommon):
    """SAM2 prompted by pose: one image embedding, one batched decoder call with every layer's prompt."""

    backend: Literal["sam2"] = "sam2"
    checkpoint: str = Field(
        "sam2.1_hiera_tiny.pt",
        description=(
            "SAM2 checkpoint: a file name or path found by the weights resolver (docs/weights.md), or a "
            "Hugging Face hub id ('facebook/sam2.1-hiera-tiny'), resolved to its file name and downloaded "
            "only when downloads are allowed."
        ),
    )
    checkpoint_sha256: str | None = Field(
        None, description="Expected sha256 of the checkpoint; a mismatch stops the run before processing."
    )
    model_config_name: str = Field(
        "configs/sam2.1/sam2.1_hiera_t.yaml",
        description="SAM2 model config inside the sam2 package; must match the checkpoint's size (t/s/b+/l).",
    )
    device: str = Field(
        "auto",
        description="'auto' (CUDA if present, else CPU; decided at planning), 'cpu' or 'cuda:N'.",
    )
    layers: tuple[Sam2Layer, ...] = Field(
        ("person", "garment_upper", "garment_lower", "garment_dress", "face", "hair", "hands", "feet", "arms",
         "legs"),
        description="Evidence layers to prompt for; each costs one prompt (two for the per-side layers).",
    )  # fmt: skip
    min_pred_iou: float = Field(
        0.5, ge=0, le=1, description="Multimask candidates with a lower SAM2 predicted IoU are not chosen."
    )
    min_prior_agreement: float = Field(
        0.25,
        ge=0,
        le=1,
        description=(
            "Multimask candidates whose IoU with the pose-drawn prior region is lower are not chosen; when "
            "none passes, the layer is left out and its reason recorded (docs/sam2.md)."
        ),
    )
    prior_weight: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Among passing candidates, rank by (1 - w) * predicted IoU + w * prior agreement.",
    )


class AnnotationSegmentConfig(SegmentCommon):
    """Evidence layers read from a dataset's own parse maps (docs/annotations.md), no model."""

    backend: Literal["annotations"] = "annotations"
    scheme: Literal["lip", "cihp", "atr", "dresscode"] = Field(
        "lip",
        description=(
            "Label table of the parse maps: 'lip' (VITON-HD image-parse / image-parse-v3, id 10 = neck), "
            "'cihp' (LIP/CIHP as published, id 10 = jumpsuits), 'atr' (18 ATR classes) or 'dresscode' "
            "(DressCode label_maps). Tables: vtondata.geometry.parsing.LABEL_SCHEMES."
        ),
    )


SegmentConfig = Annotated[
    MediaPipeSegmentConfig | Sam2SegmentConfig | AnnotationSegmentConfig, Field(discriminator="backend")
]
